import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClientAdapters } from '../../activities/adapters/build-adapters';
import { createMailer } from '../../activities/adapters/mail/nodemailer-mailer';
import { createActivities } from '../../activities/create-activities';
import { startTemporalDevServer, type TemporalDevServer } from '../../client/dev-stack/temporal-dev-server';
import type { PatchPolicy } from '../../config/policy-schema';
import { requireBinary, resolveTemporalCli } from '../../config/temporal-binaries';
import { ensureSchedules } from '../../workers/report-schedule';
import { loadTestPolicy, seedFleet, workflowBundle } from '../support/cycle-harness';
import { createTestDatabase, type TestDatabase } from '../support/database';

// The schedule path on a real dev server (the time-skipping server has no Schedules): the per-client
// discovery and restore-drill schedules come from the policy, keep an operator's pause when the policy
// changes, and a trigger runs discovery on a worker.

const TASK_QUEUE = 'patchctl-discovery-schedule-test';
let server: TemporalDevServer;
let db: TestDatabase;
let client: Client;
let stateDir: string;
let policy: PatchPolicy;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'patchctl-discovery-schedule-'));
  server = await startTemporalDevServer({
    binary: requireBinary(resolveTemporalCli(), 'temporal'),
    dbFile: join(stateDir, 'temporal.db'),
    logFile: join(stateDir, 'temporal.log'),
    readyTimeoutMs: 90_000,
  });
  db = await createTestDatabase();
  policy = loadTestPolicy();
  await seedFleet(db, policy, { clinic: 6 });
  policy.clients[0]!.discovery = { every: 'weekly', day: 'sun', at: '02:00', silentAfter: 7 * 86_400_000, unmanagedSources: [] };
  policy.clients[0]!.restoreDrills = { every: 'quarterly', at: '03:00', hosts: [] };
  client = new Client({ connection: await Connection.connect({ address: server.address }) });
});

afterAll(async () => {
  await client?.connection.close();
  await server?.stop();
  await db?.drop();
  rmSync(stateDir, { recursive: true, force: true });
});

const nextRuns = async (id: string) => (await client.schedule.getHandle(id).describe()).info.nextActionTimes.map((t) => t.toISOString());

describe('discovery schedules', () => {
  it('are created per client from the policy, follow a policy change without losing a pause, and run on trigger', async () => {
    const setups = await ensureSchedules(client, TASK_QUEUE, policy);
    expect(setups.map((s) => s.scheduleId)).toEqual(['monthly-report', 'sla-alerts', 'discovery-clinic', 'restore-drill-clinic']);
    // Sundays at 02:00 in New York: 07:00 UTC in winter.
    const weekly = await nextRuns('discovery-clinic');
    expect(weekly[0]).toMatch(/T07:00:00\.000Z$/);
    expect(new Date(weekly[0]!).getUTCDay()).toBe(0);
    expect(Date.parse(weekly[1]!) - Date.parse(weekly[0]!)).toBe(7 * 86_400_000);
    expect((await nextRuns('restore-drill-clinic'))[0]).toMatch(/-(01|04|07|10)-01T08:00:00\.000Z$/);

    await client.schedule.getHandle('discovery-clinic').pause('onboarding');
    policy.clients[0]!.discovery!.every = 'daily';
    expect((await ensureSchedules(client, TASK_QUEUE, policy)).find((s) => s.scheduleId === 'discovery-clinic')).toEqual({ scheduleId: 'discovery-clinic', created: false });
    const described = await client.schedule.getHandle('discovery-clinic').describe();
    expect(described.state.paused).toBe(true);
    const daily = described.info.nextActionTimes.map((t) => Date.parse(t.toISOString()));
    expect(daily[1]! - daily[0]!).toBe(86_400_000);

    const worker = await Worker.create({
      connection: await NativeConnection.connect({ address: server.address }),
      taskQueue: TASK_QUEUE,
      workflowBundle: await workflowBundle(),
      activities: createActivities({
        db: db.pool,
        policy,
        adaptersFor: buildClientAdapters({ db: db.pool, policy, env: {} }),
        mailer: createMailer({ from: policy.msp.mailFrom, outboxDir: join(stateDir, 'outbox') }),
      }),
    });
    await worker.runUntil(async () => {
      await client.schedule.getHandle('discovery-clinic').trigger();
      const deadline = Date.now() + 60_000;
      let runs: { run_key: string; counts: { devices: number } }[] = [];
      while (Date.now() < deadline && runs.length === 0) {
        runs = (await db.pool.query("SELECT run_key, counts FROM discovery_runs WHERE client_id = 'clinic'")).rows;
        if (runs.length === 0) await new Promise((r) => setTimeout(r, 250));
      }
      expect(runs).toHaveLength(1);
      expect(runs[0]!.run_key).toMatch(/^discovery-clinic-\d{4}-\d\d-\d\dT/);
      expect(runs[0]!.counts.devices).toBe(6);
    });
  });

  it('adds the hourly patching-notices sweep once a client names a contact to warn before patching', async () => {
    const withNotices = { ...policy, clients: policy.clients.map((c, i) => (i === 0 ? { ...c, notices: { beforePatching: { contact: 'frontdesk@clinic.test', hoursBefore: 24 } } } : c)) };
    const setups = await ensureSchedules(client, TASK_QUEUE, withNotices);
    expect(setups.find((s) => s.scheduleId === 'patching-notices')).toEqual({ scheduleId: 'patching-notices', created: true });
    const described = await client.schedule.getHandle('patching-notices').describe();
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'patchingNotices' });
    const runs = described.info.nextActionTimes.map((t) => t.getTime());
    expect(runs[1]! - runs[0]!).toBe(3_600_000);
  });
});
