import { join } from 'node:path';
import type { Pool } from 'pg';
import { buildMonthlyReport } from '../../activities/reporting/monthly-report-data';
import { upsertClients } from '../../activities/store/client-store';
import { migrateUp } from '../../activities/store/migrate';
import { createPool } from '../../activities/store/pool';
import { loadPolicyFile } from '../../config/load-policy';
import { repoRoot } from '../../config/repo-root';
import { onServer, SERVER_URL } from './server';

// Bench row: the monthly report of one client with 100,000 assets × 30 patches (3,000,000 asset/patch
// states and their event trail) on real PostgreSQL; target ≤ 2 s. Sizes: PATCHCTL_BENCH_REPORT_ASSETS,
// PATCHCTL_BENCH_REPORT_PATCHES. Prints one line; `--json` prints {"assets","patches","seconds",...}.
// Run only this row: `npm run bench -- --only report` (or `node dist/scripts/bench/report.js`).

const ASSETS = Number(process.env.PATCHCTL_BENCH_REPORT_ASSETS ?? 100_000);
const PATCHES = Number(process.env.PATCHCTL_BENCH_REPORT_PATCHES ?? 30);
const TARGET_SECONDS = 2;
const MONTH = '2026-10';
/** A report run after October closed, as the 1st-of-the-month Schedule or anyone later runs it. */
const AFTER_CLOSE = new Date('2026-11-02T06:00:00Z');


export interface ReportBenchRow {
  assets: number;
  patches: number;
  pairs: number;
  events: number;
  seedSeconds: number;
  /** The first report after the month closed: computes the month-end figures from the state history and stores them. */
  closeSeconds: number;
  /** A report of the closed month (median of three runs): reads the stored month-end figures. */
  seconds: number;
  targetSeconds: number;
  withinTarget: boolean;
}

async function seedFleet(pool: Pool, clientId: string): Promise<void> {
  // Set-based seed: a realistic mix of classes, OSes, severities and outcomes across October.
  await pool.query(
    `INSERT INTO assets (client_id, hostname, os, role, asset_class, owner, location, ephi, imported_at)
     SELECT $1, 'host-' || g, (ARRAY['windows','macos','linux'])[1 + g % 3], (ARRAY['workstation','server','kiosk'])[1 + g % 3],
            (ARRAY['workstation','core-server','do-not-disrupt'])[1 + (g / 7) % 3], 'it', 'site-' || (g % 20), g % 4 = 0, '2026-09-01'
       FROM generate_series(1, $2::int) g`,
    [clientId, ASSETS],
  );
  await pool.query(
    `INSERT INTO patches (id, title, product, severity) SELECT 'KB' || p, 'Update ' || p, 'os', (ARRAY['critical','high','routine'])[1 + p % 3] FROM generate_series(1, $1::int) p`,
    [PATCHES],
  );
  // Two thirds verified during October, one in ten failed, the rest still missing.
  await pool.query(
    `INSERT INTO asset_patch_state (asset_id, patch_id, state, detected_at, verified_at, updated_at)
     SELECT a.id, 'KB' || p, CASE WHEN (a.id + p) % 3 <> 0 THEN 'verified' WHEN (a.id + p) % 10 = 0 THEN 'failed' ELSE 'missing' END,
            timestamptz '2026-10-01' + ((a.id + p) % 20) * interval '1 day',
            CASE WHEN (a.id + p) % 3 <> 0 THEN timestamptz '2026-10-01' + ((a.id + p) % 20) * interval '1 day' + ((a.id * p) % 72) * interval '1 hour' END,
            timestamptz '2026-10-01' + ((a.id + p) % 20) * interval '1 day' + ((a.id * p) % 72) * interval '1 hour'
       FROM assets a CROSS JOIN generate_series(1, $1::int) p`,
    [PATCHES],
  );
  await pool.query(
    `INSERT INTO patch_state_events (asset_id, patch_id, cycle_id, ring, to_state, at)
     SELECT asset_id, patch_id, 'bench/cycle', 'production', state, updated_at FROM asset_patch_state WHERE state <> 'missing'`,
  );
  await pool.query('ANALYZE');
}

/**
 * PATCHCTL_BENCH_REPORT_DATABASE names an already seeded database to time again (nothing is seeded
 * or dropped; its month-end figures are cleared first); PATCHCTL_BENCH_REPORT_KEEP=1 keeps the
 * database this run seeds and prints its name on stderr.
 */
export async function benchMonthlyReport(env: NodeJS.ProcessEnv = process.env): Promise<ReportBenchRow> {
  const loaded = loadPolicyFile(join(repoRoot(), 'patchctl.example.yaml'));
  if (!loaded.ok) throw new Error(`patchctl.example.yaml is invalid: ${JSON.stringify(loaded.problems)}`);
  const policy = loaded.policy;
  const client = policy.clients[0];
  if (!client) throw new Error('patchctl.example.yaml has no client');
  const reused = env.PATCHCTL_BENCH_REPORT_DATABASE;
  const database = reused ?? `patchctl_bench_report_${Date.now().toString(36)}`;
  if (!reused) await onServer(`CREATE DATABASE ${database}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${database}`;
  const pool = createPool(url.toString(), 8);
  try {
    await migrateUp(url.toString());
    const seedStart = performance.now();
    if (!reused) {
      await upsertClients(pool, [client]);
      await seedFleet(pool, client.id);
    }
    await pool.query('DELETE FROM report_month_figures');
    const counts = await pool.query<{ pairs: number; events: number }>('SELECT (SELECT count(*) FROM asset_patch_state)::int AS pairs, (SELECT count(*) FROM patch_state_events)::int AS events');
    const seedSeconds = (performance.now() - seedStart) / 1000;

    const time = async () => {
      const start = performance.now();
      await buildMonthlyReport({ db: pool, policy, clientId: client.id, month: MONTH, now: AFTER_CLOSE });
      return (performance.now() - start) / 1000;
    };
    const closeSeconds = await time();
    const runs = [await time(), await time(), await time()].sort((a, b) => a - b);
    const seconds = runs[1] as number;
    return {
      assets: ASSETS,
      patches: PATCHES,
      pairs: counts.rows[0]?.pairs ?? 0,
      events: counts.rows[0]?.events ?? 0,
      seedSeconds: Math.round(seedSeconds * 10) / 10,
      closeSeconds: Math.round(closeSeconds * 100) / 100,
      seconds: Math.round(seconds * 1000) / 1000,
      targetSeconds: TARGET_SECONDS,
      withinTarget: seconds <= TARGET_SECONDS,
    };
  } finally {
    await pool.end();
    if (reused) {
      // kept: it was not ours
    } else if (env.PATCHCTL_BENCH_REPORT_KEEP === '1') {
      process.stderr.write(`bench: kept database ${database} (PATCHCTL_BENCH_REPORT_DATABASE=${database} times it again)\n`);
    } else {
      await onServer(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    }
  }
}

export function reportBenchLine(row: ReportBenchRow): string {
  const n = (value: number) => value.toLocaleString('en-US');
  return `monthly report: ${n(row.assets)} assets × ${row.patches} patches (${n(row.pairs)} states, ${n(row.events)} events): ${row.seconds.toFixed(3)} s (target ≤ ${row.targetSeconds} s${row.withinTarget ? '' : ', MISSED'}); closing the month (month-end figures computed once from the state history) ${row.closeSeconds.toFixed(2)} s; seed ${row.seedSeconds} s`;
}

if (require.main === module) {
  benchMonthlyReport().then(
    (row) => {
      console.log(process.argv.includes('--json') ? JSON.stringify(row) : reportBenchLine(row));
      process.exitCode = row.withinTarget ? 0 : 1;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
