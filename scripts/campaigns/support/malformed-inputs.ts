import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

/** One malformed file and where `patchctl` must say the problem is. */
export interface MalformedInput {
  family: string;
  command: 'config check' | 'inventory import';
  file: string;
  /** The problem path the CLI must print (`rings.canary.soak`, `line 3: hostname`, `(file)`). */
  expectPath: string;
}

type Yaml = Record<string, unknown> | unknown[];

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function pathText(path: (string | number)[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${key}`)).join('');
}

function setAt(root: Yaml, path: (string | number)[], value: unknown): void {
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
}

/** Every leaf and every mapping of the policy, by path. */
function walk(value: unknown, path: (string | number)[], leaves: (string | number)[][], mappings: (string | number)[][]): void {
  if (Array.isArray(value)) {
    if (value.length === 0 || value.every((v) => !isObject(v) && !Array.isArray(v))) leaves.push(path);
    value.forEach((item, i) => (isObject(item) || Array.isArray(item) ? walk(item, [...path, i], leaves, mappings) : undefined));
    return;
  }
  if (isObject(value)) {
    mappings.push(path);
    for (const [key, child] of Object.entries(value)) walk(child, [...path, key], leaves, mappings);
    return;
  }
  leaves.push(path);
}

function wrongTypeFor(value: unknown): unknown {
  if (typeof value === 'number') return 'not-a-number';
  if (typeof value === 'boolean') return 'maybe';
  if (typeof value === 'string') return 42;
  if (Array.isArray(value)) return { not: 'a list' };
  return 'not-a-mapping';
}

/** A policy in which an alias expands to 9^6 nodes: small on disk, huge in memory. */
const ALIAS_BOMB = ['a: &a ["x","x","x","x","x","x","x","x","x"]', 'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]', 'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]', 'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]', 'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]', 'f: [*e,*e,*e,*e,*e,*e,*e,*e,*e]'].join('\n');

export function policyInputs(dir: string, examplePath: string): MalformedInput[] {
  const out: MalformedInput[] = [];
  const example = parse(readFileSync(examplePath, 'utf8')) as Record<string, unknown>;
  let n = 0;
  const write = (family: string, content: string | Buffer, expectPath: string, name?: string): void => {
    const file = join(dir, name ?? `policy-${String(++n).padStart(3, '0')}-${family}.yaml`);
    writeFileSync(file, content);
    out.push({ family, command: 'config check', file, expectPath });
  };
  const mutate = (family: string, path: (string | number)[], value: unknown, expectPath = pathText(path)): void => {
    const policy = structuredClone(example);
    setAt(policy, path, value);
    write(family, stringify(policy), expectPath);
  };

  const leaves: (string | number)[][] = [];
  const mappings: (string | number)[][] = [];
  walk(example, [], leaves, mappings);
  for (const path of leaves) {
    let current: unknown = example;
    for (const key of path) current = (current as Record<string | number, unknown>)[key];
    mutate('wrong-type', path, wrongTypeFor(current));
  }
  for (const path of mappings) {
    const policy = structuredClone(example);
    let node: Record<string, unknown> = policy;
    for (const key of path) node = node[key as string] as Record<string, unknown>;
    node.typo = true;
    write('unknown-key', stringify(policy), pathText([...path, 'typo']));
  }
  for (const ring of ['canary', 'pilot', 'production']) {
    mutate('out-of-bounds', ['rings', ring, 'failureThreshold'], 1);
    mutate('out-of-bounds', ['rings', ring, 'failureThreshold'], -0.1);
    mutate('out-of-bounds', ['rings', ring, 'soak'], '0s');
    mutate('out-of-bounds', ['rings', ring, 'soak'], '400d');
  }
  const rollout = (key: string, value: unknown) => mutate('out-of-bounds', ['rollout', key], value);
  rollout('jobPollInterval', '0s');
  rollout('jobPollInterval', '2h');
  rollout('gateDecisionTimeout', '0s');
  rollout('gateDecisionTimeout', '30d');
  rollout('approvalReminderAfter', '0s');
  rollout('escalateBeforeDeadline', '400d');
  rollout('batchSize', 0);
  rollout('batchSize', 100000);
  const exceptions = (key: string, value: unknown) => mutate('out-of-bounds', ['exceptions', key], value);
  exceptions('maxDuration', '36500d');
  exceptions('maxDuration', '0s');
  exceptions('reminderBefore', '0s');
  exceptions('decisionTimeout', '1000d');
  exceptions('reviewInterval', '0s');
  mutate('out-of-bounds', ['rings', 'canary', 'size'], 0);
  mutate('out-of-bounds', ['rings', 'canary', 'size'], 1_000_000);
  mutate('out-of-bounds', ['rings', 'pilot', 'share'], 0.5);
  mutate('out-of-bounds', ['sla', 'workstation', 'critical', 'deploymentWindow'], '0s');
  mutate('out-of-bounds', ['sla', 'core-server', 'routine', 'deploymentWindow'], '3650d');
  mutate('out-of-bounds', ['clients', 0, 'maintenanceWindows', 0, 'duration'], '0s');
  mutate('out-of-bounds', ['clients', 0, 'maintenanceWindows', 0, 'duration'], '25h');
  mutate('out-of-bounds', ['clients', 0, 'simulation'], { failureRate: 2 }, 'clients[0].simulation.failureRate');

  // Every named adapter kind is implemented now; selecting one without its settings block still cannot run.
  mutate('not-runnable', ['clients', 0, 'adapters'], { rmm: 'ninjaone' }, 'clients[0].adapters.ninjaone');
  mutate('not-runnable', ['sla', 'core-server', 'critical', 'reboot'], { mode: 'scheduled', day: 'sun', at: '02:00' }, 'sla.core-server.critical.reboot.mode');
  mutate('bad-enum', ['clients', 0, 'adapters'], { psa: 'zendesk' }, 'clients[0].adapters.psa');
  mutate('bad-enum', ['sla', 'workstation', 'high', 'reboot'], { mode: 'never' }, 'sla.workstation.high.reboot.mode');
  mutate('bad-enum', ['sla', 'laptop'], { critical: {} }, 'sla.laptop');
  mutate('bad-value', ['clients', 0, 'timezone'], 'Mars/Olympus_Mons');
  mutate('bad-value', ['clients', 0, 'id'], 'Acme Dental!');
  mutate('bad-value', ['msp', 'mailFrom'], 'not-an-address');
  mutate('bad-value', ['version'], 2);

  const garbagePem = '-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5IGF0IGFsbA==\n-----END PUBLIC KEY-----\n';
  const rsaPem = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  mutate('bad-key', ['msp', 'evidencePublicKey'], garbagePem);
  mutate('bad-key', ['msp', 'evidencePublicKey'], rsaPem);
  mutate('bad-key', ['msp', 'evidencePublicKey'], 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA lead@msp');
  mutate('bad-key', ['signing'], { publicKeys: { 'lead@msp.example': garbagePem } }, 'signing.publicKeys.lead@msp.example');

  write('yaml-syntax', 'version: 1\nrings: [unclosed\n', 'line 3');
  write('yaml-syntax', 'version: 1\nversion: 1\n', 'line 2');
  write('yaml-syntax', 'version: 1\n  msp: x\n', 'line 1');
  write('yaml-alias', 'version: 1\nmsp: &m { name: x, loop: *m }\n', 'line 2');
  write('yaml-alias', 'a: &a [*a]\n', 'line 1');
  write('yaml-alias', ALIAS_BOMB, 'line 2');
  write('yaml-alias', 'version: 1\nmsp: *nowhere\n', 'line 2');
  write('not-a-mapping', '[1, 2, 3]\n', '(root)');
  write('not-a-mapping', '42\n', '(root)');
  write('not-a-mapping', '', '(root)');
  write('binary', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0xff, 0xfe, 0x00]), '(file)');
  write('binary', Buffer.concat([Buffer.from('version: 1\n'), Buffer.alloc(64, 0)]), '(file)');
  write('huge', `# ${'x'.repeat(3 * 1024 * 1024)}\n`, '(file)');
  const directory = join(dir, 'policy-directory.yaml');
  mkdirSync(directory, { recursive: true });
  out.push({ family: 'directory', command: 'config check', file: directory, expectPath: '(file)' });
  out.push({ family: 'missing', command: 'config check', file: join(dir, 'policy-missing.yaml'), expectPath: '(file)' });
  return out;
}

const HEADER = 'hostname,os,role,asset_class,owner,location,ephi,tags,applications';
const ROW = (host: string) => `${host},windows,workstation,workstation,it@acme.example,Front desk,no,,`;

export function inventoryInputs(dir: string): MalformedInput[] {
  const out: MalformedInput[] = [];
  let n = 0;
  const write = (family: string, content: string | Buffer, expectPath: string): void => {
    const file = join(dir, `inventory-${String(++n).padStart(3, '0')}-${family}.csv`);
    writeFileSync(file, content);
    out.push({ family, command: 'inventory import', file, expectPath });
  };
  // The bad row is always line 3: a good row first shows that nothing of a refused file is written.
  const withRow = (family: string, row: string, expectPath: string) => write(family, `${HEADER}\n${ROW('good-pc01')}\n${row}\n`, expectPath);

  const badHosts = ['under_score', '-leading-dash', 'trailing-dash-', 'dot..dot', 'trailing.', `${'a'.repeat(64)}`, 'späti-pc', 'has space', 'semi;colon', 'slash/pc', '🙂pc', `${'abc.'.repeat(70)}x`, '"quoted"pc', 'tab\tpc', '.leading-dot', 'pc#1', 'pc@acme', '"pc,comma"', '192.168.1.10:80', '*', 'back\\slash', 'pc%20', '(pc)', 'pc!'];
  for (const host of badHosts) withRow('bad-hostname', ROW(host.startsWith('"pc,') ? host : host.includes('"') ? `"${host.replace(/"/g, '""')}"` : host), 'line 3: hostname');
  withRow('bad-hostname', ',windows,workstation,workstation,it@acme.example,Front desk,no,,', 'line 3: hostname');
  for (const dup of ['GOOD-PC01', 'good-pc01', 'Good-Pc01', ' good-pc01 ']) withRow('duplicate', ROW(dup), 'line 3: hostname');
  const enums: [string, string][] = [
    ['solaris,workstation,workstation,it@acme.example,Desk,no,,', 'os'],
    ['windows,printer,workstation,it@acme.example,Desk,no,,', 'role'],
    ['windows,workstation,mainframe,it@acme.example,Desk,no,,', 'asset_class'],
    ['windows,workstation,workstation,it@acme.example,Desk,maybe,,', 'ephi'],
    ['windows,workstation,workstation,,Desk,no,,', 'owner'],
    ['windows,workstation,workstation,it@acme.example,,no,,', 'location'],
    ['WINDOWS 11,workstation,workstation,it@acme.example,Desk,no,,', 'os'],
    ['windows,workstation,do_not_disrupt,it@acme.example,Desk,no,,', 'asset_class'],
    ['windows,workstation,workstation,it@acme.example,Desk,1,,', 'ephi'],
  ];
  for (const [rest, column] of enums) withRow('bad-enum', `pc-${column}-${n},${rest}`, `line 3: ${column}`);
  withRow('field-count', 'pc-short,windows,workstation', 'line 3');
  withRow('field-count', `${ROW('pc-long')},extra,fields`, 'line 3');
  withRow('huge-line', ROW(`${'x'.repeat(2 * 1024 * 1024)}`), 'line 3: hostname');
  withRow('huge-line', `pc-huge,windows,workstation,workstation,it@acme.example,${'Desk '.repeat(400_000)},maybe,,`, 'line 3: ephi');
  write('header', `hostname,os,role,asset_class,owner,location\n${'pc01,windows,workstation,workstation,it@acme.example,Desk'}\n`, 'line 1: ephi');
  write('header', `${HEADER},colour\n${ROW('pc01')},blue\n`, 'line 1: colour');
  write('header', `${HEADER},hostname\n${ROW('pc01')},pc01\n`, 'line 1: hostname');
  write('header', `${HEADER}\n`, 'line 2');
  write('empty', '', 'line 1');
  write('quote', `${HEADER}\n"unclosed,windows,workstation,workstation,it@acme.example,Desk,no,,\n`, 'line 2');
  write('binary', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0x08, 0x00, 0x00, 0x00, 0x21, 0x00, 0xff, 0xfe, 0x22, 0x0a, 0x2c, 0x22]), 'line 1');
  write('binary', Buffer.concat([Buffer.from(`${HEADER}\n`), Buffer.from([0x00, 0x01, 0x02, 0xff, 0x2c, 0x0a])]), 'line 2');
  return out;
}
