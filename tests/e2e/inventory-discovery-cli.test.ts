import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertClients } from '../../activities/store/client-store';
import { reconcileDiscovery } from '../../activities/store/discovery-store';
import { importAssets } from '../../activities/store/inventory-store';
import { recordRestoreDrill } from '../../activities/store/restore-drill-store';
import { runCli } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';

// The inventory commands over what discovery stored, as an engineer runs them against PostgreSQL.

let db: TestDatabase;
let dir: string;
const env = () => ({ DATABASE_URL: db.url });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'patchctl-inventory-cli-'));
  db = await createTestDatabase();
  await upsertClients(db.pool, [{ id: 'clinic', name: 'Clinic', timezone: 'UTC', owner: 'owner@clinic.test' }]);
  await importAssets(db.pool, 'clinic', [{ hostname: 'fs01', os: 'windows', role: 'server', assetClass: 'core-server', owner: 'IT', location: 'HQ', ephi: true, tags: [], applications: [] }]);
  await reconcileDiscovery(db.pool, {
    clientId: 'clinic',
    runKey: 'discovery-clinic-1',
    at: new Date('2026-11-20T07:00:00Z'),
    silentAfterMs: 7 * 86_400_000,
    seen: [
      { hostname: 'fs01', os: 'windows', role: 'server', source: 'rmm', rmm: true },
      { hostname: 'kiosk-7', os: 'windows', role: 'kiosk', source: 'rmm', rmm: true },
      { hostname: 'printer-2f', os: null, role: null, source: 'csv:scan.csv', rmm: false },
    ],
    software: [
      { hostname: 'fs01', name: 'Java 8 Update 401' },
      { hostname: 'fs01', name: 'Google Chrome' },
      { hostname: 'kiosk-7', name: 'Kiosk, "Pro" Edition' },
    ],
    softwareHosts: ['fs01', 'kiosk-7'],
  });
  await recordRestoreDrill(db.pool, { drillKey: 'restore-drill/clinic/1', clientId: 'clinic', hostname: 'fs01', snapshotId: 'simsnap-1', mode: 'isolated-copy', ok: true, detail: 'fs01 restored into isolated copy fs01-drill-1 and booted', steps: [], drilledAt: '2026-11-20T08:00:00.000Z' });
  writeFileSync(join(dir, 'software.csv'), 'name,status,remediation\nGoogle Chrome,supported,\nJava 8*,unsupported,manual-with-proof\n');
  writeFileSync(join(dir, 'bad.csv'), 'name,status,remediation\nJava 8*,unsupported,by hand\n');
});

afterAll(async () => {
  await db?.drop();
});

describe('patchctl inventory unclassified | software | drills', () => {
  it('lists the unclassified devices, the software by status (JSON and CSV) and the drills', async () => {
    const unclassified = await runCli(['inventory', 'unclassified', '--client', 'clinic', '--json'], { env: env() });
    expect(unclassified.code).toBe(0);
    expect(unclassified.json<{ devices: { hostname: string; rmmManaged: boolean }[] }>().devices.map((d) => [d.hostname, d.rmmManaged])).toEqual([['kiosk-7', true], ['printer-2f', false]]);

    const json = await runCli(['inventory', 'software', '--client', 'clinic', '--list', join(dir, 'software.csv'), '--json'], { env: env() });
    expect(json.code).toBe(0);
    expect(json.json<{ software: { name: string; status: string }[] }>().software.map((s) => [s.name, s.status])).toEqual([
      ['Google Chrome', 'supported'],
      ['Java 8 Update 401', 'unsupported'],
      ['Kiosk, "Pro" Edition', 'unknown'],
    ]);
    const csv = await runCli(['inventory', 'software', '--client', 'clinic', '--list', join(dir, 'software.csv'), '--csv'], { env: env() });
    expect(csv.stdout).toBe('name,status,remediation,hosts\nGoogle Chrome,supported,,fs01\nJava 8 Update 401,unsupported,manual-with-proof,fs01\n"Kiosk, ""Pro"" Edition",unknown,,kiosk-7\n');

    const drills = await runCli(['inventory', 'drills', '--client', 'clinic'], { env: env() });
    expect(drills.code).toBe(0);
    expect(drills.stdout).toContain('isolated-copy');
  });

  it('refuses a bad software list (exit 2, naming the line) and an unknown client (exit 3)', async () => {
    const bad = await runCli(['inventory', 'software', '--client', 'clinic', '--list', join(dir, 'bad.csv')], { env: env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/line 2: remediation.*manual-with-proof or "other-tool: NAME", got "by hand"/);
    const unknown = await runCli(['inventory', 'unclassified', '--client', 'nope'], { env: env() });
    expect(unknown.code).toBe(3);
  });
});
