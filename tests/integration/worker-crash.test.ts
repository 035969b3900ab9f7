import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary, resolveTemporalCli } from '../../config/temporal-binaries';
import { startTemporalDevServer, type TemporalDevServer } from '../../client/dev-stack/temporal-dev-server';
import { cycleWorkflowId } from '../../domain/ids';
import { cycleStatusQuery } from '../../workflows/cycle/messages';
import { patchCycle } from '../../workflows/cycle/patch-cycle';
import { spawnCli } from '../support/cli';
import { loadTestPolicy, seedFleet } from '../support/cycle-harness';
import { createTestDatabase, type TestDatabase } from '../support/database';

// A real dev server, a real PostgreSQL and the built `patchctl worker`, killed with SIGKILL mid-ring.

const POLICY = 'tests/fixtures/policy-crash.yaml';
const TASK_QUEUE = 'patchctl-crash-test';

let server: TemporalDevServer;
let db: TestDatabase;
let stateDir: string;
let client: Client;
let workerLog = '';

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'patchctl-crash-'));
  server = await startTemporalDevServer({
    binary: requireBinary(resolveTemporalCli(), 'temporal'),
    dbFile: join(stateDir, 'temporal.db'),
    logFile: join(stateDir, 'temporal.log'),
    readyTimeoutMs: 90_000,
  });
  db = await createTestDatabase();
  await seedFleet(db, loadTestPolicy(POLICY), { clinic: 30 });
  client = new Client({ connection: await Connection.connect({ address: server.address }) });
});

afterAll(async () => {
  await client?.connection.close();
  await server?.stop();
  await db?.drop();
  rmSync(stateDir, { recursive: true, force: true });
});

function startWorker(): ChildProcess {
  const worker = spawnCli(['worker', '--allow-unsigned'], {
    env: {
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      DATABASE_URL: db.url,
      PATCHCTL_CONFIG: join(process.cwd(), POLICY),
      PATCHCTL_OUTBOX_DIR: join(stateDir, 'outbox'),
      PATCHCTL_LOG_LEVEL: 'WARN',
    },
  });
  // Kept for the failure message: a worker that cannot start says why on stderr.
  worker.stderr?.on('data', (chunk: Buffer) => (workerLog += chunk.toString()));
  worker.stdout?.resume();
  return worker;
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}; worker output:\n${workerLog.slice(-2000)}`);
}

describe('a worker killed mid-ring', () => {
  it('lets the cycle complete on a new worker without deploying any asset twice', async () => {
    const first = startWorker();
    const handle = await client.workflow.start(patchCycle, {
      taskQueue: TASK_QUEUE,
      workflowId: cycleWorkflowId('clinic', 'crash-1'),
      args: [{ clientId: 'clinic', cycleName: 'crash-1', requestedBy: 'engineer@msp.test' }],
    });
    // Mid-ring: the pilot is deploying and some of its jobs were submitted.
    await until(async () => {
      const status = await handle.query(cycleStatusQuery).catch(() => undefined);
      if (status?.rings.find((r) => r.ring === 'pilot')?.state !== 'deploying') return undefined;
      const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM deployment_jobs WHERE cycle_id = $1 AND ring = 'pilot'`, [handle.workflowId]);
      return rows[0].n > 0 ? true : undefined;
    }, 'the pilot ring to be deploying');
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));

    const second = startWorker();
    try {
      const result = await handle.result();
      expect(result.status).toBe('completed');
      const planned = result.rings.reduce((n, r) => n + r.planned, 0);
      expect(result.rings.reduce((n, r) => n + r.verified, 0)).toBe(planned);

      const ledger = await db.pool.query(
        `SELECT count(*)::int AS jobs, count(DISTINCT (hostname, patch_id))::int AS pairs, coalesce(max(runs), 0)::int AS max_runs
           FROM sim_rmm_jobs WHERE kind = 'deploy' AND key LIKE $1`,
        [`${handle.workflowId}|%`],
      );
      expect(ledger.rows[0].jobs).toBeGreaterThan(0);
      expect(ledger.rows[0].jobs).toBe(ledger.rows[0].pairs);
      expect(ledger.rows[0].max_runs).toBe(1);
      const ours = await db.pool.query(`SELECT count(*)::int AS n FROM deployment_jobs WHERE cycle_id = $1 AND kind = 'deploy'`, [handle.workflowId]);
      expect(ours.rows[0].n).toBe(ledger.rows[0].jobs);
    } finally {
      second.kill('SIGTERM');
      await new Promise((resolve) => second.once('exit', resolve));
    }
  }, 300_000); // two real worker processes on a busy 2-core CI box: a guard, not a threshold
});
