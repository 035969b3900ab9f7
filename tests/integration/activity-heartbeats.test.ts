import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TacticalRmm } from '../../activities/adapters/rmm/tactical-rmm';
import { jobKey, pollBatchJobs } from '../../activities/cycle/ring-batches';
import { createActivities } from '../../activities/create-activities';
import type { ActivityDeps } from '../../activities/deps';
import type { PsaPort, SnapshotPort } from '../../activities/ports';
import { upsertClients } from '../../activities/store/client-store';
import { recordDeploymentJob } from '../../activities/store/ring-batch-store';
import { startTemporalDevServer, type TemporalDevServer } from '../../client/dev-stack/temporal-dev-server';
import { requireBinary, resolveTemporalCli } from '../../config/temporal-binaries';
import { loadTestPolicy } from '../support/cycle-harness';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { type FakeTacticalRmm, startFakeTacticalRmm } from '../support/fakes/tactical-rmm-server';
import { quietTemporalRuntime } from '../support/quiet-runtime';

// Batch activities heartbeat on a ticker while a vendor call runs, and a cancelled activity aborts
// the request it has in flight. A real Temporal dev server decides timeouts and retries here.

const API_KEY = 'TACTICAL-HEARTBEAT-KEY';
const CLIENT = 'clinic';
const CYCLE = 'cycle/clinic/heartbeat-test';
const KB = 'KB5036893';
const TASK_QUEUE = 'patchctl-heartbeat-test';
const ref = { cycleId: CYCLE, clientId: CLIENT, ring: 'canary' as const, batchIndex: 0, attempt: 1 };

let stateDir: string;
let server: TemporalDevServer;
let db: TestDatabase;
let rmmFake: FakeTacticalRmm;
let deps: ActivityDeps;

const unused = () => Promise.reject(new Error('not used in this test'));

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'patchctl-heartbeat-'));
  quietTemporalRuntime();
  server = await startTemporalDevServer({
    binary: requireBinary(resolveTemporalCli(), 'temporal'),
    dbFile: join(stateDir, 'temporal.db'),
    logFile: join(stateDir, 'temporal.log'),
    readyTimeoutMs: 90_000,
  });
  db = await createTestDatabase();
  const policy = loadTestPolicy();
  await upsertClients(db.pool, policy.clients);
  const { rows } = await db.pool.query<{ id: string }>(
    `INSERT INTO assets (client_id, hostname, os, role, asset_class, owner, location, ephi)
     VALUES ($1, 'ws-001', 'windows', 'workstation', 'workstation', 'it@clinic.test', 'HQ', false) RETURNING id::text`,
    [CLIENT],
  );
  await db.pool.query(`INSERT INTO patches (id, title, product, severity) VALUES ($1, 'update', 'Windows', 'critical')`, [KB]);
  await db.pool.query(`INSERT INTO cycles (id, client_id, name, requested_by, status) VALUES ($1, $2, 'heartbeat-test', 'tech@msp.test', 'running')`, [CYCLE, CLIENT]);
  await db.pool.query(
    `INSERT INTO cycle_assets (cycle_id, asset_id, hostname, ring, batch_index, asset_class, patch_ids, sla_deadline, reboot_mode, snapshot_required)
     VALUES ($1, $2, 'ws-001', 'canary', 0, 'workstation', $3, now() + interval '1 day', 'user-prompted', false)`,
    [CYCLE, rows[0]!.id, [KB]],
  );
  await recordDeploymentJob(db.pool, { key: jobKey(ref, 'ws-001', KB, 'deploy'), kind: 'deploy', cycleId: CYCLE, ring: 'canary', hostname: 'ws-001', patchId: KB, vendorJobId: `AGT-1:${KB}` });
  rmmFake = await startFakeTacticalRmm(API_KEY);
  rmmFake.agents.push({ agent_id: 'AGT-1', hostname: 'WS-001', client_name: 'Test Clinic', site_name: 'HQ', plat: 'windows', status: 'online', monitoring_type: 'workstation', needs_reboot: false, has_patches_pending: true });
  const psa: PsaPort = { openTicket: unused, addNote: unused, closeTicket: unused };
  const snapshot: SnapshotPort = { take: unused, verify: unused, restore: unused };
  deps = {
    db: db.pool,
    policy,
    adaptersFor: () => ({ rmm: new TacticalRmm({ baseUrl: rmmFake.url, apiKey: API_KEY, clientId: CLIENT, tacticalClientName: 'Test Clinic', timeoutMs: 60_000 }), psa, snapshot }),
    mailer: { send: async () => undefined },
  };
}, 120_000);

afterAll(async () => {
  await rmmFake?.stop();
  await server?.stop();
  await db?.drop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

beforeEach(() => {
  rmmFake.calls.length = 0;
  rmmFake.updates.set('AGT-1', [{ id: 1, kb: KB, guid: 'g1', title: 'update', severity: 'Critical', installed: true, action: 'approve', result: 'success', date_installed: '2026-11-29T03:12:00Z' }]);
});

const winUpdateReads = () => rmmFake.calls.filter((c) => c.method === 'GET' && c.path === '/winupdate/AGT-1/').length;

describe('batch activities and their heartbeats', () => {
  it('a vendor call longer than the heartbeat timeout completes in one attempt: one request, no retry', async () => {
    // The agent's update list takes 5 s to come back; the heartbeat timeout is 2 s.
    rmmFake.answerNext({ status: 200, body: rmmFake.updates.get('AGT-1'), delayMs: 5_000 }, '/winupdate/AGT-1/');
    const connection = await NativeConnection.connect({ address: server.address });
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../support/workflows/heartbeat-probe.ts'), logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
    const worker = await Worker.create({ connection, taskQueue: TASK_QUEUE, workflowBundle, activities: createActivities(deps) });
    const client = new Client({ connection: await Connection.connect({ address: server.address }) });
    try {
      const result = await worker.runUntil(
        client.workflow.execute('pollUnderShortHeartbeat', { taskQueue: TASK_QUEUE, workflowId: `heartbeat-probe-${Date.now()}`, args: [ref] }),
      );
      expect(result).toEqual({ pending: 0, succeeded: 1, failed: 0 });
      expect(winUpdateReads()).toBe(1);
    } finally {
      await client.connection.close();
      await connection.close();
    }
  }, 120_000);

  it('a cancelled activity aborts the vendor request it has in flight', async () => {
    await db.pool.query(`UPDATE deployment_jobs SET state = 'submitted' WHERE cycle_id = $1`, [CYCLE]);
    rmmFake.answerNext({ status: 200, body: rmmFake.updates.get('AGT-1'), delayMs: 3_000 }, '/winupdate/AGT-1/');
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 1_000 });
    const run = env.run(() => pollBatchJobs(deps, { ...ref, kind: 'deploy' }));
    for (let i = 0; i < 500 && winUpdateReads() === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    env.cancel();
    await expect(run).rejects.toThrow();
    // The fake answers after its delay and finds nobody waiting: the request was aborted.
    for (let i = 0; i < 100 && rmmFake.abortedCalls === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(rmmFake.abortedCalls).toBe(1);
    const { rows } = await db.pool.query<{ state: string }>(`SELECT state FROM deployment_jobs WHERE cycle_id = $1`, [CYCLE]);
    expect(rows[0]!.state).toBe('submitted');
  });
});
