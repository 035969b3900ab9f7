import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { findPolicyFile, loadPolicyFile, parsePolicyText } from '../../config/load-policy';
import { formatProblems } from '../../config/problems';

const root = join(__dirname, '..', '..');
const examplePath = join(root, 'patchctl.example.yaml');
const badPath = join(root, 'tests', 'fixtures', 'bad-policy.yaml');

function problemsOf(text: string) {
  const result = parsePolicyText(text);
  if (result.ok) throw new Error('expected the policy to be refused');
  return result.problems;
}

describe('policy loading', () => {
  it('accepts the shipped example and fills the defaults', () => {
    const result = loadPolicyFile(examplePath);
    if (!result.ok) throw new Error(formatProblems(result.problems));
    // One client per RMM: simulated, Tactical RMM, NinjaOne, Datto RMM.
    expect(result.policy.clients.map((c) => [c.id, c.adapters.rmm])).toEqual([
      ['acme-dental', 'simulated'],
      ['riverside-dental', 'tactical-rmm'],
      ['northside-clinic', 'ninjaone'],
      ['harbor-pediatrics', 'datto-rmm'],
    ]);
    expect(result.policy.clients[2]?.adapters.ninjaone?.tokenPath).toBe('/ws/oauth/token');
    expect(result.policy.rings.pilot.share).toBe(0.15);
    expect(result.policy.rings.canary.soak).toBe(24 * 3_600_000);
    expect(result.policy.sla['core-server'].critical.deploymentWindow).toBe(24 * 3_600_000);
    expect(result.policy.clients[0]?.simulation.failureRate).toBe(0);
  });

  it('lists every problem of a bad policy with its path, what was expected and what was found', () => {
    const result = loadPolicyFile(badPath);
    if (result.ok) throw new Error('bad-policy.yaml was accepted');
    const lines = formatProblems(result.problems).split('\n');
    expect(lines).toContain('rings.pilot.share: must be between 0.10 and 0.20, got 0.5');
    expect(lines).toContain('rings.canary.size: must be at least 1 asset, got 0');
    expect(lines).toContain('clients[0].timezone: must be an IANA time zone like America/New_York, got "Mars/Olympus_Mons"');
    expect(lines.find((l) => l.startsWith('clients[0].adapters.rmm:'))).toMatch(/tactical-rmm.*got "kaseya"/);
    expect(lines.find((l) => l.startsWith('sla.core-server.routine:'))).toBeDefined();
    expect(lines).toContain('rings.production.promotion.approvers: must name at least one approver when requiresApproval is true, got []');
    expect(result.problems).toHaveLength(6);
  });

  it('refuses a duplicate client id', () => {
    const policy = parse(readFileSync(examplePath, 'utf8')) as { clients: unknown[] };
    policy.clients.push(policy.clients[0]);
    const lines = problemsOf(stringify(policy)).map((p) => `${p.path}: ${p.message}`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^clients\[4\]\.id: duplicate client id "acme-dental"/);
  });

  it('refuses a maintenance window longer than a day', () => {
    const text = readFileSync(examplePath, 'utf8').replace('duration: 6h', 'duration: 25h');
    const lines = problemsOf(text).map((p) => `${p.path}: ${p.message}`);
    expect(lines).toEqual(['clients[0].maintenanceWindows[0].duration: must be between 15m and 24h, got "25h"']);
  });

  it('takes the deciders of a ring gate from rings.<ring>.gate.deciders and refuses an empty or invalid list', () => {
    const policy = parse(readFileSync(examplePath, 'utf8')) as { rings: Record<string, Record<string, unknown>> };
    policy.rings.canary!.gate = { deciders: ['gatekeeper@msp.example'] };
    const accepted = parsePolicyText(stringify(policy));
    if (!accepted.ok) throw new Error(formatProblems(accepted.problems));
    expect(accepted.policy.rings.canary.gate?.deciders).toEqual(['gatekeeper@msp.example']);
    expect(accepted.policy.rings.pilot.gate).toBeUndefined();
    policy.rings.canary!.gate = { deciders: [] };
    policy.rings.production!.gate = { deciders: ['not-an-address'] };
    const lines = problemsOf(stringify(policy)).map((p) => p.path);
    expect(lines).toEqual(['rings.canary.gate.deciders', 'rings.production.gate.deciders[0]']);
  });

  it('reports a YAML syntax error with its line instead of a stack trace', () => {
    const problems = problemsOf('version: 1\nrings: [unclosed\n');
    expect(problems[0]?.path).toMatch(/^line \d+$/);
    expect(problems[0]?.message).toMatch(/^YAML syntax:/);
  });

  it('names a missing file and how to get one', () => {
    const result = loadPolicyFile(join(root, 'no-such-policy.yaml'));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]?.message).toMatch(/file not found.*patchctl\.example\.yaml/);
  });

  it('finds the policy: explicit path, then PATCHCTL_CONFIG, then the example', () => {
    expect(findPolicyFile('custom.yaml', {}, '/srv/msp')).toBe('/srv/msp/custom.yaml');
    expect(findPolicyFile(undefined, { PATCHCTL_CONFIG: '/etc/patchctl.yaml' }, '/srv/msp')).toBe('/etc/patchctl.yaml');
    expect(findPolicyFile(undefined, {}, '/nonexistent-dir')).toBe(examplePath);
  });
});
