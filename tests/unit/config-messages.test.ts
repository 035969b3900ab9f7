import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parsePolicyText } from '../../config/load-policy';

// A policy as YAML gives it: any shape, which is the point of these tests.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Yaml = Record<string, any>;

const root = join(__dirname, '..', '..');
const example = parse(readFileSync(join(root, 'patchctl.example.yaml'), 'utf8')) as Yaml;

/** The `path: message` lines `config check` prints for the example with one change applied. */
function linesAfter(change: (policy: Yaml) => void): string[] {
  const policy = structuredClone(example);
  change(policy);
  const result = parsePolicyText(stringify(policy));
  if (result.ok) throw new Error('expected the policy to be refused');
  return result.problems.map((p) => `${p.path}: ${p.message}`);
}

// What zod says when no one chose the words: none of it may reach a user.
const ZOD_WORDS = /Invalid input|received|Unrecognized key|Invalid option|Invalid discriminator|Too small|Too big|Invalid key in record|Invalid email|Invalid string|expected (string|number|boolean|object|array|int)\b/;

describe('config check speaks the project’s words', () => {
  it('reports an unknown SLA class at sla.<class>, naming the known classes, without dumping the table', () => {
    expect(linesAfter((p) => (p.sla.laptop = p.sla.workstation))).toEqual([
      'sla.laptop: unknown key; expected one of core-server, workstation, do-not-disrupt',
    ]);
  });

  it('says a numeric soak should be a duration', () => {
    expect(linesAfter((p) => (p.rings.canary.soak = 5))).toEqual([
      'rings.canary.soak: expected a duration like 30s, 15m, 24h or 7d, got 5',
    ]);
  });

  it('names each unknown key at its own path with the keys that are allowed there', () => {
    expect(linesAfter((p) => (p.rings.canary.sizee = 3))).toEqual([
      'rings.canary.sizee: unknown key; expected one of soak, failureThreshold, gate, maxConcurrency, maxErrors, size',
    ]);
  });

  it('says what is missing and what was expected', () => {
    expect(linesAfter((p) => delete p.version)).toEqual(['version: missing; expected 1']);
    expect(linesAfter((p) => delete p.rings.pilot.soak)).toEqual(['rings.pilot.soak: missing; expected a duration like 30s, 15m, 24h or 7d']);
  });

  it('names the accepted values of an enum, a reboot mode and a record key', () => {
    expect(linesAfter((p) => (p.clients[0].maintenanceWindows[0].days = ['funday']))).toEqual([
      'clients[0].maintenanceWindows[0].days[0]: expected one of mon, tue, wed, thu, fri, sat, sun, got "funday"',
    ]);
    expect(linesAfter((p) => (p.sla.workstation.high.reboot = { mode: 'never' }))).toEqual([
      'sla.workstation.high.reboot.mode: expected one of scheduled, user-prompted, manual-approval, got "never"',
    ]);
    expect(linesAfter((p) => (p.signing = { publicKeys: { nobody: 'x' } }))).toEqual([
      'signing.publicKeys.nobody: the key must be an e-mail address naming a person, got "nobody"',
    ]);
  });

  it('never passes zod’s own wording through, whatever the type mistake', () => {
    const changes: ((p: Yaml) => void)[] = [
      (p) => (p.rings.canary.size = 'five'),
      (p) => (p.rings.canary.size = 2.5),
      (p) => (p.rings.canary.failureThreshold = 'high'),
      (p) => (p.rings.pilot.promotion.requiresApproval = 'yes'),
      (p) => (p.clients = 'acme'),
      (p) => (p.clients = []),
      (p) => (p.msp = null),
      (p) => (p.msp.name = ''),
      (p) => (p.msp.mailFrom = 42),
      (p) => (p.sla.workstation.high.reboot = 'never'),
      (p) => (p.rollout = { batchSize: 0 }),
      (p) => (p.rollout = { batchSize: 100000 }),
      (p) => (p.clients[0].maintenanceWindows = []),
      (p) => (p.clients[0].adapters = { rmm: 7 }),
      (p) => (p.clients[0].simulation = { failureRate: 3 }),
      (p) => (p.extra = true),
      (p) => (p.version = '1'),
    ];
    for (const change of changes) {
      for (const line of linesAfter(change)) {
        expect(line).not.toMatch(ZOD_WORDS);
        expect(line).toMatch(/^[\w.[\]-]+: /);
      }
    }
  });

  it('refuses a document that is not a mapping, saying so at the root', () => {
    for (const text of ['[1, 2]', '42', '', 'just text']) {
      const result = parsePolicyText(text);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.problems.map((p) => `${p.path}: ${p.message}`)[0]).toMatch(/^\(root\): expected a mapping of policy sections \(version, msp, /);
    }
  });
});
