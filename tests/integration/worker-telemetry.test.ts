import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { Runtime } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClientAdapters } from '../../activities/adapters/build-adapters';
import { createMailer } from '../../activities/adapters/mail/nodemailer-mailer';
import { withSentLedger } from '../../activities/adapters/mail/sent-ledger';
import { patchingNotices } from '../../workflows/notices/patching-notices';
import { runtimeOptions, telemetrySettings } from '../../workers/telemetry/runtime-telemetry';
import { TASK_QUEUE, createTestWorker, loadTestPolicy, seedFleet, startTimeSkipping } from '../support/cycle-harness';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

// Operations telemetry as an operator turns it on (PATCHCTL_LOG_FORMAT=json, PATCHCTL_METRICS_LISTEN):
// the worker's logs come out as one JSON object a line, and /metrics serves the SDK's metrics and
// patchctl's own counters. This file installs the process's Temporal runtime itself, before anything else.

const lines: string[] = [];
const logSink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  },
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let port: number;
let env: TestWorkflowEnvironment;
let db: TestDatabase;
let smtp: TestSmtpServer;

beforeAll(async () => {
  port = await freePort();
  const settings = telemetrySettings({ PATCHCTL_LOG_FORMAT: 'json', PATCHCTL_METRICS_LISTEN: `127.0.0.1:${port}` }, 'INFO');
  Runtime.install(runtimeOptions(settings, logSink));
  env = await startTimeSkipping();
  smtp = await startSmtpServer();
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
  await smtp?.stop();
  await env?.teardown();
});

describe('worker telemetry', () => {
  it('refuses a bad setting naming the variable and the value', () => {
    expect(() => telemetrySettings({ PATCHCTL_LOG_FORMAT: 'xml' }, 'INFO')).toThrow('PATCHCTL_LOG_FORMAT: must be text or json, got "xml"');
    expect(() => telemetrySettings({ PATCHCTL_METRICS_LISTEN: '9464' }, 'INFO')).toThrow(/PATCHCTL_METRICS_LISTEN: expected HOST:PORT like 127\.0\.0\.1:9464, got "9464"/);
    expect(telemetrySettings({}, 'WARN')).toEqual({ level: 'WARN', format: 'text' });
  });

  it('logs JSON lines and serves SDK and patchctl metrics on /metrics', async () => {
    const policy = loadTestPolicy();
    policy.clients = policy.clients.filter((c) => c.id === 'clinic');
    policy.clients[0]!.notices = { beforePatching: { contact: 'frontdesk@clinic.test', hoursBefore: 24 } };
    await seedFleet(db, policy, { clinic: 2 });
    await db.pool.query(`INSERT INTO cycles (id, client_id, name, patch_ids, requested_by, status) VALUES ('cycle/clinic/t', 'clinic', 'December updates', '{KB1}', 'lead@msp.test', 'running')`);
    await db.pool.query(
      `INSERT INTO cycle_assets (cycle_id, asset_id, hostname, ring, batch_index, asset_class, patch_ids, sla_deadline, reboot_mode, snapshot_required)
       SELECT 'cycle/clinic/t', id, hostname, 'canary', 0, asset_class, '{KB1}', '2026-12-20T00:00:00Z', 'scheduled', false FROM assets WHERE client_id = 'clinic'`,
    );
    const deps = {
      db: db.pool,
      policy,
      adaptersFor: buildClientAdapters({ db: db.pool, policy, env: {} }),
      mailer: withSentLedger(createMailer({ from: policy.msp.mailFrom, smtpUrl: smtp.url }), db.pool),
    };
    const worker = await createTestWorker(env, deps);
    await worker.runUntil(async () => {
      const swept = await env.client.workflow.execute(patchingNotices, { taskQueue: TASK_QUEUE, workflowId: 'telemetry-sweep', args: [{ at: '2026-12-05T00:00:00Z' }] });
      expect(swept.sent).toHaveLength(1);
    });
    const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(body).toMatch(/^temporal_workflow_completed\{.*\} 1$/m);
    expect(body).toMatch(/^temporal_activity_execution_latency/m);
    expect(body).toMatch(/patchctl_patching_notices\{.*result="sent".*\} 1$/m);
    const parsed = lines.map((l) => JSON.parse(l) as { level: number; msg: string; time: string; service: string });
    expect(parsed.length).toBeGreaterThan(0);
    expect(parsed.every((p) => typeof p.msg === 'string' && p.service === 'patchctl-worker' && !Number.isNaN(Date.parse(p.time)))).toBe(true);
    expect(parsed.some((p) => /Worker (state changed|started)|Workflow bundle created/i.test(p.msg))).toBe(true);
  });
});
