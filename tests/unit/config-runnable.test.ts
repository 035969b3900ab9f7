import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parsePolicyText } from '../../config/load-policy';
import { ADAPTER_KINDS } from '../../config/policy-schema';
import { IMPLEMENTED_ADAPTER_KINDS } from '../../config/worker-capabilities';

// A policy as YAML gives it: any shape, which is the point of these tests.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Yaml = Record<string, any>;

const root = join(__dirname, '..', '..');
const example = parse(readFileSync(join(root, 'patchctl.example.yaml'), 'utf8')) as Yaml;

function check(change: (policy: Yaml) => void): string[] {
  const policy = structuredClone(example);
  change(policy);
  const result = parsePolicyText(stringify(policy));
  return result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('config check refuses what the worker cannot run', () => {
  it('accepts every adapter kind the worker implements (each needs its settings block)', () => {
    expect(check((p) => (p.clients[0].adapters = { rmm: 'ninjaone' }))).toEqual([
      'clients[0].adapters.ninjaone: settings for ninjaone are required when it is selected (see patchctl.example.yaml)',
    ]);
  });

  it('lists only kinds the schema knows', () => {
    for (const port of ['rmm', 'psa', 'snapshot', 'identity'] as const) {
      for (const kind of IMPLEMENTED_ADAPTER_KINDS[port]) expect(ADAPTER_KINDS[port]).toContain(kind);
    }
  });

  it('refuses a scheduled reboot, which the workflows do not enforce yet', () => {
    expect(check((p) => (p.sla['core-server'].critical.reboot = { mode: 'scheduled', day: 'sun', at: '02:00' }))).toEqual([
      'sla.core-server.critical.reboot.mode: not enforced yet: nothing reboots at a scheduled day and time; use user-prompted (the RMM prompts the user) or manual-approval (a person approves the promotion), got "scheduled"',
    ]);
  });

  it('accepts the reboot modes the workflows honour', () => {
    expect(check((p) => (p.sla.workstation.high.reboot = { mode: 'user-prompted' }))).toEqual([]);
    expect(check((p) => (p.sla.workstation.high.reboot = { mode: 'manual-approval' }))).toEqual([]);
  });
});
