import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parsePolicyText } from '../../config/load-policy';

// The policy of credential triage and of the worker's workload checks, refused with the path.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Yaml = Record<string, any>;

const example = parse(readFileSync(join(__dirname, '..', '..', 'patchctl.example.yaml'), 'utf8')) as Yaml;

function check(change: (policy: Yaml) => void): string[] {
  const policy = structuredClone(example);
  change(policy);
  const result = parsePolicyText(stringify(policy));
  return result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
}

const tcp = { name: 'ehr-port', kind: 'tcp', host: 'ehr.clinic.example', port: 443 };

describe('triage and workload-check policy', () => {
  it('accepts a triage block, manual accounts with a responder, and service checks', () => {
    expect(
      check((p) => {
        p.triage = { sla: '4h', escalateAfter: '30m', escalation: ['secops@msp.example'], responders: ['lead@msp.example'] };
        p.clients[0].triage = { manualAccounts: ['breakglass@clinic.example'] };
        p.clients[0].serviceChecks = [tcp, { name: 'share', kind: 'file-share', protocol: 'nfs', host: 'fs01', readFile: '/mnt/fs01/canary' }];
      }),
    ).toEqual([]);
  });

  it('refuses a triage SLA outside its bounds and manual accounts nobody may decide on', () => {
    expect(check((p) => (p.triage = { sla: '1m' }))).toEqual(['triage.sla: must be between 15m and 7d, got "1m"']);
    expect(check((p) => (p.clients[0].triage = { manualAccounts: ['breakglass@clinic.example'] }))).toEqual([
      'triage.responders: must name at least one person when clients[0].triage.manualAccounts lists accounts a person must handle',
    ]);
  });

  it('refuses service checks with a duplicate name, a password in two places, or a relative share path', () => {
    expect(check((p) => (p.clients[0].serviceChecks = [tcp, tcp]))).toEqual(['clients[0].serviceChecks[1].name: is the name of an earlier check of this client; names must be unique, got "ehr-port"']);
    const mail = { name: 'mail', kind: 'smtp-imap', smtp: { host: 'mx', port: 25 }, imap: { host: 'mx', port: 993, user: 'u', password: { env: 'IMAP_PW', file: '/run/pw' } }, from: 'a@b.example', to: 'a@b.example' };
    expect(check((p) => (p.clients[0].serviceChecks = [mail]))).toEqual([expect.stringMatching(/^clients\[0\]\.serviceChecks\[0\]\.imap\.password: must name exactly one of env or file/)]);
    const share = { name: 'share', kind: 'file-share', protocol: 'smb', host: 'fs01', readFile: 'canary.txt' };
    expect(check((p) => (p.clients[0].serviceChecks = [share]))).toEqual([expect.stringMatching(/^clients\[0\]\.serviceChecks\[0\]\.readFile: must be an absolute path on the worker/)]);
  });
});
