import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClientAdapters } from '../../activities/adapters/build-adapters';
import { createMailer } from '../../activities/adapters/mail/nodemailer-mailer';
import type { ActivityDeps } from '../../activities/deps';
import { getReportRun } from '../../activities/store/report-store';
import { verifyBundle } from '../../activities/evidence/manifest';
import { monthlyReport } from '../../workflows/reporting/monthly-report';
import { TASK_QUEUE, createTestWorker, loadTestPolicy, startTimeSkipping } from '../support/cycle-harness';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { CLIENT, MONTH, seedReportFixture } from '../support/report-fixture';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

// The workflow the 1st-of-the-month Schedule starts (the time-skipping server has no Schedules, so the
// workflow is started here as the Schedule would): real activities, real PostgreSQL, real Chromium,
// the mail through a real SMTP server.

let env: TestWorkflowEnvironment;
let smtp: TestSmtpServer;
let db: TestDatabase;
let deps: ActivityDeps;
const home = mkdtempSync(join(tmpdir(), 'patchctl-home-'));
const previousHome = process.env.PATCHCTL_HOME;

beforeAll(async () => {
  process.env.PATCHCTL_HOME = home;
  env = await startTimeSkipping();
  smtp = await startSmtpServer();
  const policy = loadTestPolicy();
  // Only the fixture's clinic is stored; the policy's other client has nothing to report.
  policy.clients = policy.clients.filter((c) => c.id === CLIENT);
  db = await createTestDatabase();
  await seedReportFixture(db.pool, policy);
  deps = {
    db: db.pool,
    policy,
    adaptersFor: buildClientAdapters({ db: db.pool, policy, env: {} }),
    mailer: createMailer({ from: policy.msp.mailFrom, smtpUrl: smtp.url }),
  };
});

afterAll(async () => {
  if (previousHome === undefined) delete process.env.PATCHCTL_HOME;
  else process.env.PATCHCTL_HOME = previousHome;
  await db?.drop();
  await smtp?.stop();
  await env?.teardown();
});

describe('monthly report workflow', () => {
  it('mails the client owner the PDF once per (client, month), and stores the bundle with its manifest', async () => {
    const worker = await createTestWorker(env, deps);
    await worker.runUntil(async () => {
      const first = await env.client.workflow.execute(monthlyReport, { taskQueue: TASK_QUEUE, workflowId: 'monthly-report-2026-11-01T06:00:00Z', args: [{ month: MONTH }] });
      const dir = join(home, 'reports', CLIENT, MONTH);
      expect(first).toEqual({ month: MONTH, clients: [{ clientId: CLIENT, dir, pdf: true, mailed: true }] });
      expect(smtp.messages).toHaveLength(1);
      const mail = smtp.messages[0];
      expect(mail?.to).toEqual(['owner@clinic.test']);
      expect(mail?.raw).toContain('Subject: Test Clinic: monthly patch report 2026-10');
      expect(mail?.raw).toMatch(/Content-Type: application\/pdf; name=clinic-patch-report-2026-10\.pdf/);
      expect(existsSync(join(dir, 'report.pdf'))).toBe(true);
      expect(verifyBundle(dir, undefined)).toMatchObject({ files: 4, problems: [{ path: 'manifest.sig' }] });
      const run = await getReportRun(db.pool, CLIENT, MONTH);
      expect(run?.mailedTo).toEqual(['owner@clinic.test']);

      // A second trigger of the same month (another run id) finds it mailed: no second mail.
      const again = await env.client.workflow.execute(monthlyReport, { taskQueue: TASK_QUEUE, workflowId: 'monthly-report-manual-trigger', args: [{ month: MONTH }] });
      expect(again.clients).toEqual([{ clientId: CLIENT, dir, pdf: true, mailed: false, reason: 'already mailed by an earlier run' }]);
      expect(smtp.messages).toHaveLength(1);
    });
  });
});
