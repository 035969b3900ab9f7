import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import { buildClientAdapters } from '../activities/adapters/build-adapters';
import { createMailer } from '../activities/adapters/mail/nodemailer-mailer';
import { createActivities } from '../activities/create-activities';
import { generateFleet } from '../activities/simulation/fleet-generator';
import { upsertClients } from '../activities/store/client-store';
import { importAssets } from '../activities/store/inventory-store';
import { migrateUp } from '../activities/store/migrate';
import { createPool } from '../activities/store/pool';
import { startTemporalDevServer } from '../client/dev-stack/temporal-dev-server';
import { temporalHistorySource } from '../workers/temporal-history-source';
import { exportCycleEvidence } from '../activities/evidence/export-cycle';
import { verifyBundle } from '../activities/evidence/manifest';
import { generateSigningKeyPair, parseEd25519Key } from '../activities/evidence/signing';
import { loadPolicyFile } from '../config/load-policy';
import { repoRoot } from '../config/repo-root';
import { requireBinary, resolveTemporalCli } from '../config/temporal-binaries';
import { cycleWorkflowId } from '../domain/ids';
import { workflowSource } from '../workers/workflow-source';
import { patchCycle } from '../workflows/cycle/patch-cycle';
import { benchBreaker, breakerLine, type BreakerRow } from './bench/breaker';
import { benchMonthlyReport, reportBenchLine } from './bench/report';
import { benchDiscovery, discoveryBenchLine } from './bench/discovery';
import { measureStartup, startupTable } from './bench/startup';
import { onServer, SERVER_URL } from './bench/server';

// `npm run bench`: a whole patch cycle (plan, three rings, snapshots, deploy, verify) on the real dev
// server and PostgreSQL with the simulated fleet, next to the floor: the same server running the same
// number of workflows and activities that do nothing.

const SIZES = (process.env.PATCHCTL_BENCH_SIZES ?? '1000,5000').split(',').map(Number);


async function seed(databaseUrl: string, clientId: string, count: number): Promise<void> {
  const pool = createPool(databaseUrl, 2);
  try {
    await upsertClients(pool, [{ id: clientId, name: clientId, timezone: 'UTC', owner: 'owner@bench.test' }]);
    await importAssets(pool, clientId, generateFleet(clientId, count, 5).map(({ clientId: _client, ...asset }) => asset));
  } finally {
    await pool.end();
  }
}

async function countActivities(client: Client, workflowIds: string[]): Promise<number[]> {
  const counts: number[] = [];
  for (const id of workflowIds) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    counts.push((history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes).length);
  }
  return counts;
}

async function main(): Promise<void> {
  // `npm run bench -- --only report`: the monthly-report row alone (no Temporal, no cycle).
  const only = process.argv.indexOf('--only');
  if (only !== -1) {
    const row = process.argv[only + 1];
    if (row !== 'report') throw new Error(`--only: expected "report", got "${row ?? ''}"`);
    execFileSync(process.execPath, [join(repoRoot(), 'scripts', 'ensure-postgres.cjs')], { stdio: 'inherit' });
    const report = await benchMonthlyReport();
    console.log(reportBenchLine(report));
    process.exitCode = report.withinTarget ? 0 : 1;
    return;
  }
  // First, while nothing else of the bench runs: the CLI's start-up next to bare node.
  const startup = startupTable(measureStartup());
  Runtime.install({ logger: new DefaultLogger('WARN') });
  execFileSync(process.execPath, [join(repoRoot(), 'scripts', 'ensure-postgres.cjs')], { stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'patchctl-bench-'));
  const server = await startTemporalDevServer({
    binary: requireBinary(resolveTemporalCli(), 'temporal'),
    dbFile: join(dir, 'temporal.db'),
    logFile: join(dir, 'temporal.log'),
    readyTimeoutMs: 90_000,
  });
  const database = `patchctl_bench_${Date.now()}`;
  await onServer(`CREATE DATABASE ${database}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${database}`;
  const databaseUrl = url.toString();
  const rows: string[][] = [];
  let evidence: string | undefined;
  let breaker: BreakerRow | undefined;
  try {
    await migrateUp(databaseUrl);
    const loaded = loadPolicyFile(join(repoRoot(), 'patchctl.example.yaml'));
    if (!loaded.ok) throw new Error('example policy invalid');
    const policy = loaded.policy;
    policy.rings.canary.soak = 1000;
    policy.rings.pilot.soak = 1000;
    policy.rings.production.soak = 1000;
    policy.rings.pilot.promotion.requiresApproval = false;
    policy.rings.production.promotion.requiresApproval = false;
    // Unattended: do-not-disrupt assets would otherwise wait for a person to approve their reboot.
    for (const severity of ['critical', 'high', 'routine'] as const) policy.sla['do-not-disrupt'][severity].reboot = { mode: 'user-prompted' };
    policy.rollout.batchSize = 100;
    policy.rollout.jobPollInterval = 1000;
    policy.rings.canary.failureThreshold = 1;
    policy.rings.pilot.failureThreshold = 1;
    policy.rings.production.failureThreshold = 1;
    policy.clients = SIZES.map((size) => ({
      ...loaded.policy.clients[0]!,
      id: `bench-${size}`,
      timezone: 'UTC',
      maintenanceWindows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', duration: 86_400_000 }],
      workloadChecks: ['email-delivery'],
      simulation: { seed: 5, failureRate: 0.01, failingHosts: [], failingRings: [], latencyMs: 0 },
    }));

    const pool = createPool(databaseUrl, 20);
    const connection = await NativeConnection.connect({ address: server.address });
    const cycleWorker = await Worker.create({
      connection,
      taskQueue: 'bench-cycle',
      ...workflowSource(),
      activities: createActivities({
        db: pool,
        policy,
        adaptersFor: buildClientAdapters({ db: pool, policy, env: {} }),
        mailer: createMailer({ from: policy.msp.mailFrom, outboxDir: join(dir, 'outbox') }),
      }),
    });
    const floorWorker = await Worker.create({
      connection,
      taskQueue: 'bench-floor',
      workflowsPath: require.resolve('./bench/floor-workflow'),
      activities: { noop: async () => undefined },
    });
    const client = new Client({ connection: await Connection.connect({ address: server.address }) });
    await Promise.all([
      cycleWorker.runUntil(
        floorWorker.runUntil(async () => {
          for (const size of SIZES) {
            const clientId = `bench-${size}`;
            await seed(databaseUrl, clientId, size);
            const started = performance.now();
            const result = await client.workflow.execute(patchCycle, {
              taskQueue: 'bench-cycle',
              workflowId: cycleWorkflowId(clientId, 'bench'),
              args: [{ clientId, cycleName: 'bench', requestedBy: 'engineer@msp.example' }],
            });
            const cycleMs = performance.now() - started;
            const ringIds = result.rings.filter((r) => r.workflowId).map((r) => r.workflowId as string);
            const [parentActivities = 0, ...ringActivities] = await countActivities(client, [result.cycleId, ...ringIds]);
            const floorStarted = performance.now();
            await client.workflow.execute('floorCycle', {
              taskQueue: 'bench-floor',
              workflowId: `floor-${size}`,
              args: [{ name: `floor-${size}`, ringActivities, parentActivities, soakMs: 1000 }],
            });
            const floorMs = performance.now() - floorStarted;
            const activities = parentActivities + ringActivities.reduce((a, b) => a + b, 0);
            const assets = result.rings.reduce((n, r) => n + r.planned, 0);
            rows.push([
              String(size),
              String(assets),
              result.status,
              String(activities),
              (cycleMs / 1000).toFixed(1),
              (assets / (cycleMs / 1000)).toFixed(0),
              (floorMs / 1000).toFixed(1),
              (cycleMs / floorMs).toFixed(2),
            ]);
            if (size === 1000) {
              // The auditor's side of the same cycle: export every history + timeline, then verify it.
              const out = join(dir, 'evidence-1000');
              mkdirSync(out);
              const keys = generateSigningKeyPair();
              const exportStarted = performance.now();
              const exported = await exportCycleEvidence({ histories: temporalHistorySource(client), db: pool, cycleId: result.cycleId, dir: out, signingKey: parseEd25519Key(keys.privateKeyPem, 'private') });
              const exportS = (performance.now() - exportStarted) / 1000;
              const verifyStarted = performance.now();
              const verified = verifyBundle(out, keys.publicKeyPem);
              const verifyS = (performance.now() - verifyStarted) / 1000;
              evidence = `evidence of the 1000-asset cycle: export ${exportS.toFixed(2)} s (${exported.histories} histories, ${exported.events} events, ${exported.timelineEntries} timeline entries, ${exported.files} files), verify ${verifyS.toFixed(2)} s (${verified.ok ? 'ok' : verified.problems.length + ' problems'})`;
            }
            console.error(`bench: ${size} assets done`);
          }
        }),
      ),
    ]);
    await client.connection.close();
    await pool.end();
    breaker = await benchBreaker({ address: server.address, databaseUrl, dir, policy });
  } finally {
    await server.stop();
    await onServer(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  const headers = ['fleet', 'planned', 'outcome', 'activities', 'cycle s', 'assets/s', 'floor s', 'cycle/floor'];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  console.log('patch cycle (3 rings, 1 s soaks, batches of 100, simulated RMM, real PostgreSQL) vs floor (same workflows/activities doing nothing)');
  console.log(line(headers));
  for (const row of rows) console.log(line(row));
  if (evidence) console.log(evidence);
  if (breaker) console.log(breakerLine(breaker));
  console.log(startup);
  // PATCHCTL_BENCH_DISCOVERY=0 leaves it out.
  if (process.env.PATCHCTL_BENCH_DISCOVERY !== '0') console.log(discoveryBenchLine(await benchDiscovery()));
  // Seeds 100 000 assets × 30 patches first (minutes); PATCHCTL_BENCH_REPORT=0 leaves it out.
  if (process.env.PATCHCTL_BENCH_REPORT !== '0') {
    console.log(reportBenchLine(await benchMonthlyReport()));
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
