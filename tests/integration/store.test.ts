import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getClient, upsertClients } from '../../activities/store/client-store';
import { EmbeddedPostgresInUseError, startEmbeddedPostgres } from '../../activities/store/embedded-postgres';
import { parseInventoryCsv, type AssetRow } from '../../activities/store/inventory-csv';
import { countAssets, importAssets, listAssets, UnknownClientError } from '../../activities/store/inventory-store';
import { migrateUp, migrationsDir } from '../../activities/store/migrate';
import { createPool } from '../../activities/store/pool';
import { createTestDatabase, type TestDatabase } from '../support/database';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const INITIAL = '1764374400000_initial-schema';
/** Every migration in the repository, in the order they must apply (others add theirs over time). */
const ALL = readdirSync(migrationsDir()).filter((f) => f.endsWith('.sql')).map((f) => f.replace(/\.sql$/, '')).sort();

const ACME = { id: 'acme-dental', name: 'Acme Dental', timezone: 'America/New_York', owner: 'owner@acme-dental.example' };
const BETA = { id: 'beta-clinic', name: 'Beta Clinic', timezone: 'Europe/London', owner: 'owner@beta.example' };

function goodAssets(): AssetRow[] {
  const parsed = parseInventoryCsv(readFileSync(join(__dirname, '..', 'fixtures', 'inventory-good.csv'), 'utf8'));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.assets;
}

function asset(hostname: string, overrides: Partial<AssetRow> = {}): AssetRow {
  return { hostname, os: 'linux', role: 'server', assetClass: 'core-server', owner: 'ops', location: 'rack 1', ephi: false, tags: [], applications: [], ...overrides };
}

/** migrateUp in a separate Node process, as a second `patchctl` would run it. */
async function migrateInChildProcess(url: string): Promise<string[]> {
  const script = `require('./activities/store/migrate').migrateUp(process.env.TARGET_URL).then((names) => process.stdout.write(JSON.stringify(names)))`;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, env: { ...process.env, TARGET_URL: url } });
  return JSON.parse(stdout) as string[];
}

describe('migrations', () => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.drop();
    db = undefined;
  });

  it('create every table on an empty database, and a second run applies nothing', async () => {
    db = await createTestDatabase({ migrate: false });
    expect(ALL[0]).toBe(INITIAL);
    expect(await migrateUp(db.url)).toEqual(ALL);
    const { rows } = await db.pool.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
    expect(rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['clients', 'assets', 'asset_applications', 'cycles', 'exceptions', 'pgmigrations']));
    expect(await migrateUp(db.url)).toEqual([]);
  });

  it('apply exactly once when two processes migrate the same database at the same time', async () => {
    db = await createTestDatabase({ migrate: false });
    const results = await Promise.all([migrateInChildProcess(db.url), migrateInChildProcess(db.url)]);
    expect(results.flat()).toEqual(ALL);
    // One process applied everything; the other found nothing left.
    expect(results.map((r) => r.length).sort()).toEqual([0, ALL.length]);
    const { rows } = await db.pool.query('SELECT name FROM pgmigrations ORDER BY id');
    expect(rows.map((r: { name: string }) => r.name)).toEqual(ALL);
  });
});

describe('inventory store on PostgreSQL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await upsertClients(db.pool, [ACME, BETA]);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('upserts clients from the policy and refreshes changed fields', async () => {
    expect(await getClient(db.pool, 'acme-dental')).toEqual(ACME);
    await upsertClients(db.pool, [{ ...BETA, name: 'Beta Family Clinic' }]);
    expect(await getClient(db.pool, 'beta-clinic')).toEqual({ ...BETA, name: 'Beta Family Clinic' });
    expect(await getClient(db.pool, 'nobody')).toBeUndefined();
  });

  it('imports assets, then a re-import updates them instead of duplicating', async () => {
    const assets = goodAssets();
    expect(await importAssets(db.pool, 'acme-dental', assets)).toEqual({ inserted: 12, updated: 0 });
    const listed = await listAssets(db.pool, { clientId: 'acme-dental' });
    expect(listed).toHaveLength(12);
    expect(listed.find((a) => a.hostname === 'acme-ehr01')).toEqual({
      clientId: 'acme-dental',
      hostname: 'acme-ehr01',
      os: 'windows',
      role: 'server',
      assetClass: 'do-not-disrupt',
      owner: 'owner@acme-dental.example',
      location: 'Main office server room',
      ephi: true,
      tags: ['ehr', 'phi'],
      applications: ['Dentrix Server', 'SQL Server 2019'],
    });

    const changed = assets.map((a) => (a.hostname === 'acme-ehr01' ? { ...a, location: 'Colo rack 2', applications: ['Dentrix Server'] } : a));
    const counts = await importAssets(db.pool, 'acme-dental', [...changed, asset('acme-new01')]);
    expect(counts).toEqual({ inserted: 1, updated: 12 });
    expect(await countAssets(db.pool, { clientId: 'acme-dental' })).toBe(13);
    const ehr = (await listAssets(db.pool, { clientId: 'acme-dental' })).find((a) => a.hostname === 'acme-ehr01');
    expect(ehr?.location).toBe('Colo rack 2');
    expect(ehr?.applications).toEqual(['Dentrix Server']);
  });

  it('keeps clients apart: the same hostname in two clients is two assets', async () => {
    await importAssets(db.pool, 'beta-clinic', [asset('acme-dc01', { os: 'windows' })]);
    expect(await countAssets(db.pool, { clientId: 'beta-clinic' })).toBe(1);
    const all = await listAssets(db.pool);
    expect(all.filter((a) => a.hostname === 'acme-dc01').map((a) => `${a.clientId}:${a.os}`)).toEqual(['acme-dental:windows', 'beta-clinic:windows']);
    expect(await countAssets(db.pool)).toBe(all.length);
  });

  it('writes nothing when any asset of an import fails, even after earlier batches went in', async () => {
    const before = await listAssets(db.pool, { clientId: 'beta-clinic' });
    const many = Array.from({ length: 1500 }, (_, i) => asset(`bulk-${i}`, { applications: ['agent'] }));
    // Past the parser a bad value can only come from a bug; the schema's CHECK must still stop it.
    many.push(asset('bulk-bad', { os: 'solaris' as AssetRow['os'] }));
    await expect(importAssets(db.pool, 'beta-clinic', many)).rejects.toThrow(/check constraint/);
    expect(await listAssets(db.pool, { clientId: 'beta-clinic' })).toEqual(before);
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM asset_applications WHERE name = 'agent'`);
    expect(rows[0]).toEqual({ n: 0 });
  });

  it('refuses an unknown client, naming the clients that exist, and writes nothing', async () => {
    const total = await countAssets(db.pool);
    const error = await importAssets(db.pool, 'gamma', [asset('g1')]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownClientError);
    expect((error as UnknownClientError).message).toBe('unknown client "gamma"; known clients: acme-dental, beta-clinic');
    expect(await countAssets(db.pool)).toBe(total);
    await expect(listAssets(db.pool, { clientId: 'gamma' })).rejects.toBeInstanceOf(UnknownClientError);
  });
});

describe('patchctl inventory import / list', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await db?.drop();
  });

  /** The CLI from sources, against this test's database and the example policy (client acme-dental). */
  async function patchctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: db.url, PATCHCTL_CONFIG: join(ROOT, 'patchctl.example.yaml') };
    return run(process.execPath, ['--import', 'tsx', join(ROOT, 'client', 'main.ts'), ...args], { cwd: ROOT, env }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );
  }
  const good = join(__dirname, '..', 'fixtures', 'inventory-good.csv');
  const bad = join(__dirname, '..', 'fixtures', 'inventory-bad.csv');

  it('refuses a bad file with exit 2, every problem by line, and writes nothing', async () => {
    const result = await patchctl('inventory', 'import', bad, '--client', 'acme-dental');
    expect(result.code).toBe(2);
    for (const line of ['line 3: os: must be one of windows, macos, linux, got "solaris"', 'line 4: role:', 'line 5: ephi:', 'line 6: hostname: duplicate', 'line 7: asset_class:', 'line 8:']) {
      expect(result.stderr).toContain(line);
    }
    expect(result.stderr).toContain('nothing was imported');
    const list = await patchctl('inventory', 'list', '--json');
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual({ assets: [] });
  });

  it('imports with counts as JSON, re-imports as updates, and lists the assets', async () => {
    const first = await patchctl('inventory', 'import', good, '--client', 'acme-dental', '--json');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ client: 'acme-dental', inserted: 12, updated: 0, total: 12 });
    const again = await patchctl('inventory', 'import', good, '--client', 'acme-dental');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('0 new, 12 updated');

    const table = await patchctl('inventory', 'list', '--client', 'acme-dental');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/hostname.*os.*role.*class.*owner.*location.*ePHI/);
    expect(table.stdout).toMatch(/acme-ehr01\s*│ windows\s*│ server\s*│ do-not-disrupt\s*│ owner@acme-dental.example\s*│ Main office server room\s*│ yes/);
    const json = await patchctl('inventory', 'list', '--client', 'acme-dental', '--json');
    const doc = JSON.parse(json.stdout) as { assets: Array<{ hostname: string; ephi: boolean }> };
    expect(doc.assets).toHaveLength(12);
    expect(doc.assets.find((a) => a.hostname === 'acme-ehr01')?.ephi).toBe(true);
  });

  it('answers an unknown client with exit 3 naming the clients that exist', async () => {
    const result = await patchctl('inventory', 'import', good, '--client', 'nobody-here', '--json');
    expect(result.code).toBe(3);
    const doc = JSON.parse(result.stdout) as { error: { message: string; exitCode: number } };
    expect(doc.error).toMatchObject({ message: 'unknown client "nobody-here"; known clients: acme-dental, harbor-pediatrics, northside-clinic, riverside-dental', exitCode: 3 });
    const list = await patchctl('inventory', 'list', '--client', 'nobody-here');
    expect(list.code).toBe(3);
    expect(list.stderr).toContain('known clients: acme-dental');
  });
});

describe('embedded PostgreSQL (PGlite over its socket)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'patchctl-embedded-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('runs migrations, import and list through plain pg, and keeps the data across a restart', async () => {
    const first = await startEmbeddedPostgres({ dataDir });
    try {
      expect(first.url).toBe(`postgresql://postgres:postgres@127.0.0.1:${first.port}/postgres`);
      await expect(startEmbeddedPostgres({ dataDir })).rejects.toBeInstanceOf(EmbeddedPostgresInUseError);
      // Two migrators at once: the multiplexer must still apply the schema exactly once.
      expect((await Promise.all([migrateUp(first.url), migrateUp(first.url)])).flat()).toEqual(ALL);
      const pool = createPool(first.url, first.poolMax);
      try {
        await upsertClients(pool, [ACME]);
        expect(await importAssets(pool, 'acme-dental', goodAssets())).toEqual({ inserted: 12, updated: 0 });
        // Several queries at once, one of them an import transaction: they share the one connection.
        const [counts, listed, count] = await Promise.all([
          importAssets(pool, 'acme-dental', goodAssets()),
          listAssets(pool, { clientId: 'acme-dental' }),
          countAssets(pool),
        ]);
        expect(counts).toEqual({ inserted: 0, updated: 12 });
        expect(listed.map((a) => a.hostname)).toEqual(goodAssets().map((a) => a.hostname).sort());
        expect(count).toBe(12);
      } finally {
        await pool.end();
      }
    } finally {
      await first.stop();
    }

    const second = await startEmbeddedPostgres({ dataDir, port: 0 });
    try {
      expect(await migrateUp(second.url)).toEqual([]);
      const pool = createPool(second.url, second.poolMax);
      try {
        const listed = await listAssets(pool, { clientId: 'acme-dental' });
        expect(listed).toHaveLength(12);
        expect(listed.find((a) => a.hostname === 'acme-xray01')?.applications).toEqual(['Dexis Imaging', 'Sensor Driver']);
      } finally {
        await pool.end();
      }
    } finally {
      await second.stop();
    }
  });
});
