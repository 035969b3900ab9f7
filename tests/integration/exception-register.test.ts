import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClientAdapters } from '../../activities/adapters/build-adapters';
import { createMailer } from '../../activities/adapters/mail/nodemailer-mailer';
import type { ActivityDeps } from '../../activities/deps';
import { listExceptions } from '../../activities/store/exception-store';
import type { PatchPolicy } from '../../config/policy-schema';
import type { ExceptionRequest, ExceptionStatus } from '../../domain/exception/exception';
import { exceptionWorkflowId } from '../../domain/ids';
import { exceptionIdFor } from '../../client/ids';
import { approveExceptionUpdate, exceptionStatusQuery, revokeExceptionUpdate, signOffExceptionUpdate } from '../../workflows/exception/messages';
import { patchException } from '../../workflows/exception/patch-exception';
import { TASK_QUEUE, createTestWorker, loadTestPolicy, seedFleet, startTimeSkipping } from '../support/cycle-harness';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from '../support/smtp';

// The exception register end to end: the workflow on the time-skipping server, the register in a real
// PostgreSQL, and every notice delivered over SMTP to a real server.

const CLIENT = 'clinic';
const OWNER = 'owner@clinic.test';
const LEAD = 'lead@msp.test';
const SECOND = 'second@msp.test';
const DAY = 86_400_000;

let env: TestWorkflowEnvironment;
let smtp: TestSmtpServer;
let db: TestDatabase;
let policy: PatchPolicy;
let deps: ActivityDeps;
let hosts: string[];

beforeAll(async () => {
  env = await startTimeSkipping();
  smtp = await startSmtpServer();
  policy = loadTestPolicy('tests/fixtures/policy-exceptions.yaml');
  db = await createTestDatabase();
  await seedFleet(db, policy, { [CLIENT]: 12 });
  const adapters = buildClientAdapters({ db: db.pool, policy, env: {} });
  deps = {
    db: db.pool,
    policy,
    adaptersFor: adapters,
    mailer: createMailer({ from: policy.msp.mailFrom, smtpUrl: `smtp://127.0.0.1:${smtp.port}?ignoreTLS=true` }),
  };
  const { rows } = await db.pool.query(`SELECT hostname FROM assets WHERE client_id = $1 ORDER BY hostname`, [CLIENT]);
  hosts = rows.map((r: { hostname: string }) => r.hostname);
});

afterAll(async () => {
  await db?.drop();
  await smtp?.stop();
  await env?.teardown();
});

const now = async () => env.currentTimeMs();

async function start(hostname: string, days: number): Promise<WorkflowHandle<typeof patchException>> {
  const at = await now();
  const request: ExceptionRequest = {
    exceptionId: exceptionIdFor(CLIENT, new Date(at), [hostname], [], 'exception-register-test-secret'),
    clientId: CLIENT,
    kind: 'deferral',
    hostnames: [hostname],
    patchIds: [],
    reason: 'line-of-business app breaks with the update',
    requestedBy: 'tech@msp.test',
    expiresAt: new Date(at + days * DAY).toISOString(),
    controls: [{ category: 'extra-monitoring', description: 'EDR alerting on the host' }],
  };
  return env.client.workflow.start(patchException, { taskQueue: TASK_QUEUE, workflowId: exceptionWorkflowId(CLIENT, request.exceptionId), args: [request] });
}

async function waitFor(handle: WorkflowHandle<typeof patchException>, done: (s: ExceptionStatus) => boolean, what: string): Promise<ExceptionStatus> {
  let last: ExceptionStatus | undefined;
  for (let i = 0; i < 300; i++) {
    last = await handle.query(exceptionStatusQuery);
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`exception never reached "${what}"; last status ${last?.status}`);
}

async function activate(handle: WorkflowHandle<typeof patchException>): Promise<ExceptionStatus> {
  await waitFor(handle, (s) => s.pending?.step === 'signoff', 'sign-off pending');
  await handle.executeUpdate(signOffExceptionUpdate, { args: [{ by: OWNER }] });
  await waitFor(handle, (s) => s.pending?.step === 'approval', 'approval pending');
  await handle.executeUpdate(approveExceptionUpdate, { args: [{ by: LEAD }] });
  return waitFor(handle, (s) => s.status === 'active' && s.pending === undefined, 'active');
}

/** The Subject of a received message, its header unfolded. */
function subjectOf(mail: ReceivedMail): string {
  const headers = mail.raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  return /^Subject: (.*)$/m.exec(headers)?.[1]?.trim() ?? '';
}

async function received(subject: string): Promise<ReceivedMail> {
  for (let i = 0; i < 200; i++) {
    const mail = smtp.messages.find((m) => subjectOf(m) === subject);
    if (mail) return mail;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the SMTP server never received "${subject}"; got: ${smtp.messages.map(subjectOf).join(' | ')}`);
}

/** Register rows as of the workflow clock, which runs ahead of the wall clock on this server. */
async function register(filter: Parameters<typeof listExceptions>[1] = {}) {
  return listExceptions(db.pool, { now: new Date(await now()), ...filter });
}

async function registerSettled(id: string, status: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await register()).some((r) => r.id === id && r.status === status)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`register row ${id} never became ${status}`);
}

describe('exception register', () => {
  it('lists what expires soon, mails the reminder and the expiry over SMTP to the owner and approvers, and drops ended exceptions from the active list', async () => {
    const worker = await createTestWorker(env, deps);
    await worker.runUntil(async () => {
      const soon = await start(hosts[0]!, 10);
      const later = await start(hosts[1]!, 30);
      const { exceptionId: soonId, expiresAt } = await activate(soon);
      const { exceptionId: laterId } = await activate(later);
      await registerSettled(soonId, 'active');
      await registerSettled(laterId, 'active');

      expect((await register({ expiringWithinDays: 14 })).map((r) => r.id)).toEqual([soonId]);
      expect((await register({ expiringWithinDays: 40 })).map((r) => r.id)).toEqual([soonId, laterId]);
      expect((await register({ clientId: 'night-clinic', active: true })).map((r) => r.id)).toEqual([]);
      const [row] = await register({ expiringWithinDays: 14 });
      expect(row).toMatchObject({ status: 'active', hostnames: [hosts[0]], expiresAt, signedOffBy: OWNER, approvedBy: LEAD, ticketId: expect.stringMatching(/^SIM-/) });
      expect(row?.controls).toEqual([{ category: 'extra-monitoring', description: 'EDR alerting on the host' }]);

      await later.executeUpdate(revokeExceptionUpdate, { args: [{ by: OWNER, reason: 'the vendor shipped a fix' }] });
      expect((await later.result()).status).toBe('revoked');
      await registerSettled(laterId, 'revoked');
      expect((await register({ active: true })).map((r) => r.id)).toEqual([soonId]);

      // Day 4: past the reminder (7 days before a 10-day expiry), before the expiry itself.
      await env.sleep(4 * DAY);
      const reminder = await received(`[patchctl] Exception ${soonId} ends ${expiresAt}`);
      expect([...reminder.to].sort()).toEqual([LEAD, OWNER, SECOND]);
      expect(reminder.from).toBe('patchctl@msp.test');
      expect(reminder.raw).toContain(`patchctl exception renew ${CLIENT}/${soonId}`);
      expect(smtp.messages.some((m) => subjectOf(m) === `[patchctl] Exception ${soonId} expired`)).toBe(false);

      expect((await soon.result()).status).toBe('expired');
      const expiry = await received(`[patchctl] Exception ${soonId} expired`);
      expect([...expiry.to].sort()).toEqual([LEAD, OWNER, SECOND]);
      expect(expiry.raw).toContain('back in scope');

      await registerSettled(soonId, 'expired');
      expect(await register({ active: true })).toEqual([]);
      expect(await register({ expiringWithinDays: 14 })).toEqual([]);
      const all = await register();
      expect(Object.fromEntries(all.map((r) => [r.id, r.status]))).toEqual({ [soonId]: 'expired', [laterId]: 'revoked' });
    });
  });
});
