import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportInventory, INVENTORY_LABELS, inventoryDir } from '../../activities/reporting/inventory-export';
import { verifyBundle } from '../../activities/evidence/manifest';
import { generateSigningKeyPair, parseEd25519Key } from '../../activities/evidence/signing';
import { loadTestPolicy } from '../support/cycle-harness';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { CLIENT, MONTH, seedReportFixture } from '../support/report-fixture';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await seedReportFixture(db.pool, loadTestPolicy());
});
afterAll(async () => {
  await db?.drop();
});

describe('inventory export', () => {
  it("writes the month's inventory with the playbook's labels as CSV and JSON, signed, by client and month", async () => {
    const home = mkdtempSync(join(tmpdir(), 'patchctl-home-'));
    const dir = inventoryDir(home, CLIENT, MONTH);
    expect(dir).toBe(join(home, 'exports', CLIENT, MONTH));
    const keys = generateSigningKeyPair();
    const result = await exportInventory({ db: db.pool, clientId: CLIENT, month: MONTH, dir, signingKey: parseEd25519Key(keys.privateKeyPem, 'private') });
    // later-1 was imported in November: October's inventory does not list it.
    expect(result).toMatchObject({ assets: 6, ephiAssets: 3, files: ['inventory.csv', 'inventory.json'], signed: true });
    const csv = readFileSync(join(dir, 'inventory.csv'), 'utf8').split('\r\n');
    expect(csv[0]).toBe(INVENTORY_LABELS.join(','));
    expect(csv[0]).toContain('ePHI system');
    expect(csv.find((l) => l.startsWith('srv-1,'))).toMatch(/^srv-1,linux,server,core-server,front desk,main,yes,ephi,Acrobat Reader,2026-09-01T/);
    expect(csv.some((l) => l.startsWith('later-1,'))).toBe(false);
    const json = JSON.parse(readFileSync(join(dir, 'inventory.json'), 'utf8'));
    expect(json.asOf).toBe('2026-11-01T00:00:00.000Z');
    expect(json.assets.find((a: Record<string, string>) => a.Hostname === 'ws-2')['ePHI system']).toBe('no');
    expect(verifyBundle(dir, keys.publicKeyPem)).toMatchObject({ ok: true, signature: 'valid', files: 2 });
  });

  it('refuses an unknown client with NotFound', async () => {
    await expect(exportInventory({ db: db.pool, clientId: 'nobody', month: MONTH, dir: mkdtempSync(join(tmpdir(), 'x-')) })).rejects.toMatchObject({ type: 'NotFound' });
  });
});
