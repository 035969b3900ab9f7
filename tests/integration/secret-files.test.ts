import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClientAdapters, looseSecretFiles } from '../../activities/adapters/build-adapters';
import { loadPolicyFile } from '../../config/load-policy';
import { createTestDatabase, type TestDatabase } from '../support/database';

let dir: string;
let db: TestDatabase;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'patchctl-secrets-'));
  db = await createTestDatabase();
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await db?.drop();
});

function secretFile(name: string, mode: number): string {
  const path = join(dir, name);
  writeFileSync(path, 's3cret\n');
  chmodSync(path, mode);
  return path;
}

describe('secret files readable by others', () => {
  it('names every secret file with a group or other permission, and only those', () => {
    const open = secretFile('ninja-secret', 0o644);
    const tight = secretFile('smtp-password', 0o600);
    const group = secretFile('codec-keys', 0o640);
    const guests = secretFile('guests.json', 0o644);
    expect(
      looseSecretFiles({ NINJAONE_CLIENT_SECRET_FILE: open, SMTP_PASSWORD_FILE: tight, PATCHCTL_CODEC_KEYS_FILE: group, PROXMOX_GUESTS_FILE: guests, MISSING_KEY_FILE: join(dir, 'nope') }),
    ).toEqual([
      { variable: 'NINJAONE_CLIENT_SECRET_FILE', path: open, mode: '0644' },
      { variable: 'PATCHCTL_CODEC_KEYS_FILE', path: group, mode: '0640' },
    ]);
  });

  it('warns when the worker builds its adapters, with the chmod that fixes it', () => {
    const loaded = loadPolicyFile(join(__dirname, '..', 'fixtures', 'policy-cycle.yaml'));
    if (!loaded.ok) throw new Error('fixture policy is invalid');
    const warnings: string[] = [];
    const open = secretFile('tactical-key', 0o604);
    buildClientAdapters({ db: db.pool, policy: loaded.policy, env: { TACTICAL_RMM_API_KEY_FILE: open }, warn: (m) => warnings.push(m) });
    expect(warnings).toEqual([`TACTICAL_RMM_API_KEY_FILE: ${open} is readable by other users (mode 0604); run \`chmod 600 ${open}\``]);
  });
});
