import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exceptionIdFor, exceptionIdSecret } from '../../client/ids';
import { stableHash } from '../../domain/stable-hash';

// Exception ids travel in clear text (workflow ids, mails, tickets): keyed with the installation's
// secret, so a hostname list does not tell which assets an id covers.

const AT = new Date('2026-12-02T10:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'patchctl-exception-id-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('exception ids', () => {
  it('keep the readable format <client>-<day>-<7 base-36>, and one request is one id', () => {
    const id = exceptionIdFor('clinic', AT, ['clinic-ws-0002', 'clinic-ws-0001'], ['kb1'], 'secret-a-0123456789');
    expect(id).toMatch(/^clinic-20261202-[0-9a-z]{7}$/);
    expect(exceptionIdFor('clinic', AT, ['clinic-ws-0001', 'clinic-ws-0002'], ['kb1'], 'secret-a-0123456789')).toBe(id);
    expect(exceptionIdFor('clinic', AT, ['clinic-ws-0001'], ['kb1'], 'secret-a-0123456789')).not.toBe(id);
  });

  it('cannot be recomputed from hostnames without the secret (unlike the old plain hash)', () => {
    const hosts = ['clinic-ws-0001'];
    const id = exceptionIdFor('clinic', AT, hosts, [], 'secret-a-0123456789');
    expect(exceptionIdFor('clinic', AT, hosts, [], 'secret-b-0123456789')).not.toBe(id);
    const oldTag = stableHash(`${hosts.join(',')}|`).toString(36).padStart(7, '0').slice(0, 7);
    expect(id.endsWith(oldTag)).toBe(false);
  });

  it('creates the installation secret 0600 under .patchctl when missing, and reuses it', () => {
    const first = exceptionIdSecret({}, dir);
    expect(statSync(join(dir, '.patchctl', 'id-secret')).mode & 0o777).toBe(0o600);
    expect(exceptionIdSecret({}, dir)).toBe(first);
  });

  it('refuses a PATCHCTL_ID_SECRET_FILE that is missing or readable by others, naming it (exit 2)', () => {
    const file = join(dir, 'shared-secret');
    expect(() => exceptionIdSecret({ PATCHCTL_ID_SECRET_FILE: file }, dir)).toThrow(/shared-secret does not exist/);
    writeFileSync(file, 'a-long-shared-secret-line\n');
    chmodSync(file, 0o644);
    let error: unknown;
    try {
      exceptionIdSecret({ PATCHCTL_ID_SECRET_FILE: file }, dir);
    } catch (err) {
      error = err;
    }
    expect((error as Error).message).toContain(`${file} is readable by other users`);
    expect((error as { exitCode?: number }).exitCode).toBe(2);
    chmodSync(file, 0o600);
    expect(exceptionIdSecret({ PATCHCTL_ID_SECRET_FILE: file }, dir)).toBe('a-long-shared-secret-line');
  });
});
