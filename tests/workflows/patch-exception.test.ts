import { generateKeyPairSync, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/create-activities';
import { getException, type ExceptionRow } from '../../activities/store/exception-store';
import type { PatchPolicy } from '../../config/policy-schema';
import { signDecision } from '../../client/use-cases/approval-signing';
import { exceptionDecisionUpdate } from '../../client/use-cases/decide';
import type { CyclePlan } from '../../domain/cycle/cycle-plan';
import { exceptionRequestFacts, type ExceptionRequest, type ExceptionStatus } from '../../domain/exception/exception';
import { exceptionWorkflowId } from '../../domain/ids';
import { exceptionIdFor } from '../../client/ids';
import { approveExceptionUpdate, exceptionStatusQuery, renewExceptionUpdate, revokeExceptionUpdate, signOffExceptionUpdate } from '../../workflows/exception/messages';
import { patchException } from '../../workflows/exception/patch-exception';
import { TASK_QUEUE, createCycleHarness, createTestWorker, loadTestPolicy, recordHistories, startTimeSkipping, type CycleHarness } from '../support/cycle-harness';

// Time is global to a time-skipping environment, so these tests run one after another, and every
// test ends the exceptions it started through the workflow's own revocation while its worker still
// runs: the time-skipping server can leave its clock stuck after a terminate of a run that has
// timers pending, which would hang the next test's env.sleep.

const CLIENT = 'clinic';
const OWNER = 'owner@clinic.test';
const LEAD = 'lead@msp.test';
const SECOND = 'second@msp.test';
const TECH = 'tech@msp.test';
const DAY = 86_400_000;

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

let harness: CycleHarness | undefined;
const started: WorkflowHandle<typeof patchException>[] = [];
async function endStarted(): Promise<void> {
  for (const handle of started.splice(0)) {
    if ((await handle.describe()).status.name !== 'RUNNING') continue;
    try {
      await handle.executeUpdate(revokeExceptionUpdate, { args: [{ by: OWNER, reason: 'test finished' }] });
      await handle.result();
    } catch {
      await handle.terminate('test finished');
    }
  }
}
afterEach(async () => {
  await endStarted();
  await harness?.cleanup();
  harness = undefined;
});

type Handle = WorkflowHandle<typeof patchException>;
interface Ctx {
  h: CycleHarness;
  /** Hostnames of the seeded fleet that the simulated RMM reports patches missing for. */
  hosts: string[];
}

async function withWorker<T>(body: (ctx: Ctx) => Promise<T>, configure?: (policy: PatchPolicy) => void): Promise<T> {
  const policy = loadTestPolicy('tests/fixtures/policy-exceptions.yaml');
  configure?.(policy);
  harness = await createCycleHarness(policy, { [CLIENT]: 20 });
  const h = harness;
  const { rows } = await h.db.pool.query(`SELECT hostname FROM assets WHERE client_id = $1 ORDER BY hostname`, [CLIENT]);
  const all = rows.map((r: { hostname: string }) => r.hostname);
  const missing = await h.deps.adaptersFor(CLIENT).rmm.listMissingPatches(CLIENT, all);
  const hosts = all.filter((host) => missing.some((m) => m.hostname === host));
  expect(hosts.length).toBeGreaterThanOrEqual(4);
  const worker = await createTestWorker(env, h.deps);
  return worker.runUntil(async () => {
    try {
      return await body({ h, hosts });
    } finally {
      await endStarted();
    }
  });
}

const now = async () => env.currentTimeMs();
const inDays = async (days: number) => new Date((await now()) + days * DAY).toISOString();

async function request(hostnames: string[], over: Partial<ExceptionRequest> = {}, signWith?: KeyObject): Promise<Handle> {
  const requestedAt = new Date(await now());
  const patchIds = over.patchIds ?? [];
  const input: ExceptionRequest = {
    exceptionId: exceptionIdFor(CLIENT, requestedAt, hostnames, patchIds, 'patch-exception-test-secret'),
    clientId: CLIENT,
    kind: 'deferral',
    hostnames,
    patchIds,
    reason: 'EHR vendor has not certified the update yet',
    requestedBy: TECH,
    expiresAt: await inDays(30),
    controls: [{ category: 'extra-monitoring', description: 'EDR alerting on the host' }],
    ...over,
  };
  const workflowId = exceptionWorkflowId(CLIENT, input.exceptionId);
  if (signWith) input.signature = signDecision(exceptionRequestFacts(workflowId, input), signWith, { signedAt: requestedAt });
  const handle = await env.client.workflow.start(patchException, { taskQueue: TASK_QUEUE, workflowId, args: [input] });
  started.push(handle);
  return handle;
}

/** Polls the status query (which never moves workflow time) until the workflow has got there. */
async function waitFor(handle: Handle, done: (s: ExceptionStatus) => boolean, what: string): Promise<ExceptionStatus> {
  let last: ExceptionStatus | undefined;
  for (let i = 0; i < 300; i++) {
    last = await handle.query(exceptionStatusQuery);
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`exception never reached "${what}"; last status ${last?.status}, pending ${JSON.stringify(last?.pending)}`);
}

const pending = (step: 'signoff' | 'approval') => (s: ExceptionStatus) => s.pending?.step === step;
const inStatus = (status: ExceptionStatus['status']) => (s: ExceptionStatus) => s.status === status && s.pending === undefined;

const signOff = (handle: Handle, by: string) => handle.executeUpdate(signOffExceptionUpdate, { args: [{ by }] });
const approve = (handle: Handle, by: string) => handle.executeUpdate(approveExceptionUpdate, { args: [{ by }] });

/** Requested → signed off by the owner → approved by the lead → active. */
async function activate(handle: Handle, approver = LEAD): Promise<ExceptionStatus> {
  await waitFor(handle, pending('signoff'), 'sign-off pending');
  await signOff(handle, OWNER);
  await waitFor(handle, pending('approval'), 'approval pending');
  await approve(handle, approver);
  return waitFor(handle, inStatus('active'), 'active');
}

let planCounter = 0;
/** Plans a throwaway cycle at the current workflow time; returns the plan and the hosts put in rings. */
async function plan(h: CycleHarness): Promise<{ plan: CyclePlan; ringHosts: string[] }> {
  const cycleId = `cycle/${CLIENT}/probe-${++planCounter}`;
  const result = await createActivities(h.deps).planCycle({ cycleId, clientId: CLIENT, requestedBy: 'probe@msp.test', plannedAt: new Date(await now()).toISOString() });
  const { rows } = await h.db.pool.query(`SELECT hostname FROM cycle_assets WHERE cycle_id = $1`, [cycleId]);
  return { plan: result, ringHosts: rows.map((r: { hostname: string }) => r.hostname) };
}

/** Outbox messages with their headers unfolded (long To: and Subject: lines wrap). */
/** The outbox message matching `match`, waiting for the send activity that may still be running. */
async function mailWith(h: CycleHarness, match: (m: { to: string; subject: string }) => boolean, what: string) {
  for (let i = 0; i < 200; i++) {
    const found = mails(h).find(match);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no mail "${what}" in the outbox; subjects: ${mails(h).map((m) => m.subject).join(' | ')}`);
}

function mails(h: CycleHarness): { to: string; subject: string; raw: string }[] {
  return h.mail().map((raw) => {
    const headers = raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
    return {
      raw,
      to: /^To: (.*)$/m.exec(headers)?.[1]?.trim() ?? '',
      subject: /^Subject: (.*)$/m.exec(headers)?.[1]?.trim() ?? '',
    };
  });
}

/** The register row once it satisfies `done`: the workflow shows a status before its record activity has run. */
async function registerRow(h: CycleHarness, exceptionId: string, done: (row: ExceptionRow) => boolean, what: string): Promise<ExceptionRow> {
  let row: ExceptionRow | undefined;
  for (let i = 0; i < 200; i++) {
    row = await getException(h.db.pool, exceptionId);
    if (row && done(row)) return row;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`register row of ${exceptionId} never became ${what}; last: ${JSON.stringify(row)}`);
}
const rowStatus = (status: ExceptionRow['status']) => (row: ExceptionRow) => row.status === status;

async function ticketOf(h: CycleHarness, exceptionId: string) {
  const { rows } = await h.db.pool.query(`SELECT summary, notes FROM sim_psa_tickets WHERE summary LIKE $1`, [`%${exceptionId}%`]);
  return rows as { summary: string; notes: { text: string }[] }[];
}

async function refusal(update: Promise<unknown>): Promise<{ type: string; message: string }> {
  const error = await update.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (error as WorkflowUpdateFailedError).cause as unknown as { type: string; message: string };
  return { type: cause.type, message: cause.message };
}

describe('patchException', () => {
  it('keeps an isolated lane out of cycles until its review date, then back in scope until renewed, and expires it without one', async () => {
    await withWorker(async ({ h, hosts }) => {
      const host = hosts[3]!;
      const reviewAt = await inDays(60);
      const handle = await request([host], {
        kind: 'isolated-lane',
        expiresAt: undefined,
        reviewAt,
        reason: 'imaging PC runs a vendor-locked OS build',
        controls: [
          { category: 'segmentation', description: 'own VLAN, no internet' },
          { category: 'restricted-access', description: 'radiology staff only' },
        ],
        clientApprovalRef: 'signed letter 2026-03, PSA doc 4411',
      });
      const active = await activate(handle);
      const { exceptionId } = active;
      expect(active.reviewAt).toBe(reviewAt);
      expect(await registerRow(h, exceptionId, rowStatus('active'), 'active')).toMatchObject({ status: 'active', kind: 'isolated-lane', reviewAt, expiresAt: null, clientApprovalRef: 'signed letter 2026-03, PSA doc 4411' });
      const during = await plan(h);
      expect(during.plan.excluded).toContainEqual({ hostname: host, reason: expect.stringContaining('isolated lane'), exceptionId });
      expect(during.ringHosts).not.toContain(host);

      await env.sleep(Date.parse(reviewAt) - (await now()) + 60_000);
      const due = await waitFor(handle, (s) => s.status === 'review-due', 'review-due');
      expect(due.events.map((e) => e.event)).toContain('review-due');
      expect((await registerRow(h, exceptionId, rowStatus('review-due'), 'review-due')).status).toBe('review-due');
      const review = await mailWith(h, (m) => m.subject === `[patchctl] Review the isolated lane ${exceptionId}`, 'review');
      expect(review.to).toBe(`${OWNER}, ${LEAD}, ${SECOND}`);
      expect((await plan(h)).ringHosts).toContain(host);

      const nextReview = await inDays(150);
      await handle.executeUpdate(renewExceptionUpdate, { args: [{ by: OWNER, until: nextReview, reason: 'controls re-checked' }] });
      await waitFor(handle, pending('signoff'), 'review sign-off pending');
      await signOff(handle, OWNER);
      await waitFor(handle, pending('approval'), 'review approval pending');
      await approve(handle, LEAD);
      await waitFor(handle, (s) => s.status === 'active' && s.reviewAt === nextReview, 'active again');
      expect(await registerRow(h, exceptionId, rowStatus('active'), 'active')).toMatchObject({ status: 'active', reviewAt: nextReview });
      expect((await plan(h)).plan.excluded.map((e) => e.hostname)).toContain(host);

      // The next review date comes and nobody renews within the decision time: the lane expires.
      const reviewDueAt = Date.parse(nextReview);
      const result = await handle.result();
      expect(result).toMatchObject({ status: 'expired', reason: `review date ${nextReview} passed without a renewal` });
      expect(await now()).toBeGreaterThanOrEqual(reviewDueAt + 7 * DAY);
      expect((await registerRow(h, exceptionId, rowStatus('expired'), 'expired')).status).toBe('expired');
      expect((await plan(h)).ringHosts).toContain(host);
    });
    // First in the file: run after the others on the shared time-skipping server it stalls (their
    // closed workflows' timers are still skipped through); alone it takes seconds.
  });

  it('runs a deferral from request through ticket, sign-off and approval to its reminder and hard expiry', async () => {
    await withWorker(async ({ h, hosts }) => {
      const host = hosts[0]!;
      const startedAt = await now();
      const expiresAt = new Date(startedAt + 30 * DAY).toISOString();
      const handle = await request([host], { expiresAt });
      const exceptionId = (await handle.query(exceptionStatusQuery)).exceptionId;

      const requested = await waitFor(handle, pending('signoff'), 'sign-off pending');
      expect(requested.status).toBe('requested');
      expect(requested.pending?.who).toEqual([OWNER]);
      const [ticket] = await ticketOf(h, exceptionId);
      expect(ticket?.summary).toContain(`patchctl exception ${exceptionId}`);
      expect(requested.ticketId).toMatch(/^SIM-\d+$/);
      expect(await registerRow(h, exceptionId, rowStatus('requested'), 'requested')).toMatchObject({ status: 'requested', ticketId: requested.ticketId });
      expect((await mailWith(h, (m) => m.subject.includes('Sign off exception'), 'sign-off request')).to).toBe(OWNER);

      await signOff(handle, OWNER);
      const signedOff = await waitFor(handle, pending('approval'), 'approval pending');
      expect(signedOff.status).toBe('signed-off');
      expect(signedOff.pending?.who).toEqual([LEAD, SECOND]);
      expect((await mailWith(h, (m) => m.subject.includes('Approve exception'), 'approval request')).to).toBe(`${LEAD}, ${SECOND}`);
      await approve(handle, LEAD);
      const active = await waitFor(handle, inStatus('active'), 'active');
      expect(active.events.map((e) => e.event)).toEqual(['requested', 'ticket', 'signed-off', 'approved', 'activated']);

      const row = await registerRow(h, exceptionId, rowStatus('active'), 'active');
      expect(row).toMatchObject({ status: 'active', signedOffBy: OWNER, approvedBy: LEAD, ticketId: requested.ticketId, hostnames: [host], expiresAt });

      const during = await plan(h);
      expect(during.plan.excluded).toContainEqual({ hostname: host, reason: expect.stringContaining('exception'), exceptionId });
      expect(during.ringHosts).not.toContain(host);

      // 22 days on the reminder (due 7 days before expiry, day 23) has not gone out; two days later it has.
      await env.sleep(22 * DAY);
      expect(mails(h).filter((m) => m.subject.includes('ends'))).toEqual([]);
      await env.sleep(2 * DAY);
      const reminded = await waitFor(handle, (s) => s.events.some((e) => e.event === 'reminded'), 'reminded');
      expect(reminded.status).toBe('active');
      const reminder = await mailWith(h, (m) => m.subject === `[patchctl] Exception ${exceptionId} ends ${expiresAt}`, 'reminder');
      expect(reminder.to).toBe(`${OWNER}, ${LEAD}, ${SECOND}`);
      expect(reminder.raw).toContain('patchctl exception renew');

      const result = await handle.result();
      expect(result).toMatchObject({ exceptionId, status: 'expired', reason: expect.stringContaining(`hard expiry ${expiresAt}`) });
      await recordHistories(env, 'exception-expired', [handle.workflowId]);
      expect(await now()).toBeGreaterThanOrEqual(Date.parse(expiresAt));
      expect((await registerRow(h, exceptionId, rowStatus('expired'), 'expired')).status).toBe('expired');
      const [closed] = await ticketOf(h, exceptionId);
      expect(closed?.notes.map((n) => n.text)).toContainEqual(expect.stringContaining(`Exception ${exceptionId} expired`));
      const expired = await mailWith(h, (m) => m.subject === `[patchctl] Exception ${exceptionId} expired`, 'expiry');
      expect(expired.to).toBe(`${OWNER}, ${LEAD}, ${SECOND}`);

      const after = await plan(h);
      expect(after.plan.excluded.map((e) => e.hostname)).not.toContain(host);
      expect(after.ringHosts).toContain(host);
    });
  });

  it('reminds at once when it becomes active already inside the reminder window', async () => {
    await withWorker(async ({ h, hosts }) => {
      const expiresAt = new Date((await now()) + 3 * DAY).toISOString();
      const handle = await request([hosts[0]!], { expiresAt });
      const exceptionId = handle.workflowId.split('/').pop() ?? '';
      await activate(handle);
      const reminded = await waitFor(handle, (s) => s.events.some((e) => e.event === 'reminded'), 'reminded');
      expect(reminded.status).toBe('active');
      const reminder = await mailWith(h, (m) => m.subject === `[patchctl] Exception ${exceptionId} ends ${expiresAt}`, 'reminder');
      expect(reminder.to).toBe(`${OWNER}, ${LEAD}, ${SECOND}`);
    });
  });

  it('renews an active deferral only after a new sign-off and approval, and moves the expiry', async () => {
    await withWorker(async ({ h, hosts }) => {
      const host = hosts[1]!;
      const handle = await request([host]);
      const { exceptionId, expiresAt: firstExpiry } = await activate(handle);

      // A renewal longer than the policy allows is refused before anything changes.
      const tooLong = await refusal(handle.executeUpdate(renewExceptionUpdate, { args: [{ by: TECH, until: await inDays(120), reason: 'vendor slipped' }] }));
      expect(tooLong.type).toBe('InvalidInput');
      expect(tooLong.message).toContain('90d');
      const stranger = await refusal(handle.executeUpdate(renewExceptionUpdate, { args: [{ by: 'someone@else.test', until: await inDays(40), reason: 'x' }] }));
      expect(stranger.type).toBe('NotAllowed');

      await env.sleep(10 * DAY);
      const until = await inDays(45);
      const accepted = await handle.executeUpdate(renewExceptionUpdate, { args: [{ by: TECH, until, reason: 'vendor fix slipped to next quarter' }] });
      expect(accepted.status).toBe('renewal-pending');
      await waitFor(handle, pending('signoff'), 'renewal sign-off pending');
      expect(await registerRow(h, exceptionId, rowStatus('renewal-pending'), 'renewal-pending')).toMatchObject({ status: 'renewal-pending', expiresAt: firstExpiry });
      // While the renewal is decided the current exception still holds.
      expect((await plan(h)).ringHosts).not.toContain(host);
      expect((await refusal(approve(handle, LEAD))).type).toBe('NotPending');

      await signOff(handle, OWNER);
      const renewalSignedOff = await waitFor(handle, pending('approval'), 'renewal approval pending');
      expect(renewalSignedOff.status).toBe('renewal-pending');
      await approve(handle, SECOND);
      const renewed = await waitFor(handle, (s) => s.status === 'active' && s.expiresAt === until, 'renewed');
      expect(renewed.events.at(-1)).toMatchObject({ event: 'renewed', by: TECH });
      expect(await registerRow(h, exceptionId, rowStatus('active'), 'active')).toMatchObject({ status: 'active', expiresAt: until, approvedBy: SECOND, signedOffBy: OWNER });
      await mailWith(h, (m) => m.subject.includes('Sign off exception') && mails(h).filter((x) => x.subject.includes('Sign off exception')).length === 2, 'second sign-off request');

      // The old expiry passes without ending it; the new one does.
      await env.sleep(Date.parse(firstExpiry!) - (await now()) + DAY);
      expect((await handle.query(exceptionStatusQuery)).status).toBe('active');
      const result = await handle.result();
      expect(result.status).toBe('expired');
      expect(result.reason).toContain(until);
    });
  });

  it('expires on time when a renewal is still waiting for approval at the old expiry', async () => {
    await withWorker(async ({ h, hosts }) => {
      const handle = await request([hosts[2]!], { expiresAt: await inDays(20) });
      const { exceptionId, expiresAt } = await activate(handle);
      await env.sleep(17 * DAY);
      await handle.executeUpdate(renewExceptionUpdate, { args: [{ by: TECH, until: await inDays(40), reason: 'more time' }] });
      await waitFor(handle, pending('signoff'), 'renewal sign-off pending');
      await env.sleep(2 * DAY);
      await signOff(handle, OWNER);
      const waiting = await waitFor(handle, pending('approval'), 'renewal approval pending');
      // Nobody may approve after the current expiry, so the approval is due by then.
      expect(Date.parse(waiting.pending?.decideBy ?? '')).toBeLessThanOrEqual(Date.parse(expiresAt!));

      const result = await handle.result();
      expect(result.status).toBe('expired');
      const ended = (await handle.query(exceptionStatusQuery)).events.find((e) => e.event === 'expired');
      // It ends at the old expiry, not a full approval window after the late sign-off.
      expect(Date.parse(ended?.at ?? '')).toBeGreaterThanOrEqual(Date.parse(expiresAt!));
      expect(Date.parse(ended?.at ?? '')).toBeLessThan(Date.parse(expiresAt!) + 3_600_000);
      expect((await registerRow(h, exceptionId, rowStatus('expired'), 'expired')).status).toBe('expired');
    });
  });

  it('is revoked with a reason while it waits for sign-off and while it is active', async () => {
    await withWorker(async ({ h, hosts }) => {
      const waiting = await request([hosts[0]!]);
      await waitFor(waiting, pending('signoff'), 'sign-off pending');
      expect((await refusal(waiting.executeUpdate(revokeExceptionUpdate, { args: [{ by: LEAD, reason: '  ' }] }))).type).toBe('InvalidInput');
      expect((await refusal(waiting.executeUpdate(revokeExceptionUpdate, { args: [{ by: 'someone@else.test', reason: 'no' }] }))).type).toBe('NotAllowed');
      await waiting.executeUpdate(revokeExceptionUpdate, { args: [{ by: LEAD, reason: 'asked by mistake' }] });
      const first = await waiting.result();
      expect(first).toMatchObject({ status: 'revoked', reason: `revoked by ${LEAD}: asked by mistake` });
      expect((await registerRow(h, first.exceptionId, rowStatus('revoked'), 'revoked')).status).toBe('revoked');

      const active = await request([hosts[1]!]);
      const { exceptionId } = await activate(active);
      await env.sleep(5 * DAY);
      await active.executeUpdate(revokeExceptionUpdate, { args: [{ by: OWNER, reason: 'vendor certified the update' }] });
      const second = await active.result();
      expect(second.status).toBe('revoked');
      expect(await registerRow(h, exceptionId, rowStatus('revoked'), 'revoked')).toMatchObject({ status: 'revoked', statusReason: expect.stringContaining('vendor certified the update') });
      const [ticket] = await ticketOf(h, exceptionId);
      expect(ticket?.notes.map((n) => n.text)).toContainEqual(expect.stringContaining('revoked'));
      expect((await plan(h)).ringHosts).toContain(hosts[1]);
    });
  });

  it('is rejected when the client owner does not sign off within the decision time', async () => {
    await withWorker(async ({ h, hosts }) => {
      const startedAt = await now();
      const handle = await request([hosts[0]!]);
      const { exceptionId } = await waitFor(handle, pending('signoff'), 'sign-off pending');
      await env.sleep(6 * DAY);
      expect((await handle.query(exceptionStatusQuery)).status).toBe('requested');
      const result = await handle.result();
      expect(result).toMatchObject({ status: 'rejected', reason: expect.stringContaining('no sign-off by the client owner') });
      expect((await now()) - startedAt).toBeGreaterThanOrEqual(7 * DAY);
      expect(await registerRow(h, exceptionId, rowStatus('rejected'), 'rejected')).toMatchObject({ status: 'rejected', signedOffBy: null, approvedBy: null });
      await mailWith(h, (m) => m.subject === `[patchctl] Exception ${exceptionId} rejected`, 'rejection');
      expect((await plan(h)).ringHosts).toContain(hosts[0]);
    });
  });

  it('takes sign-off only from the client owner and approval only from a named approver other than the requester', async () => {
    await withWorker(async ({ hosts }) => {
      const handle = await request([hosts[0]!], { requestedBy: LEAD });
      await waitFor(handle, pending('signoff'), 'sign-off pending');
      const early = await refusal(approve(handle, SECOND));
      expect(early.type).toBe('NotPending');
      const wrongSigner = await refusal(signOff(handle, LEAD));
      expect(wrongSigner).toEqual({ type: 'NotAllowed', message: expect.stringContaining(`only the client owner ${OWNER} may sign off`) });
      expect((await handle.query(exceptionStatusQuery)).signedOffBy).toBeUndefined();

      await signOff(handle, OWNER);
      const awaiting = await waitFor(handle, pending('approval'), 'approval pending');
      expect(awaiting.pending?.who).toEqual([SECOND]);
      const requester = await refusal(approve(handle, LEAD));
      expect(requester).toEqual({ type: 'NotAllowed', message: expect.stringContaining('four-eyes') });
      const stranger = await refusal(approve(handle, 'someone@else.test'));
      expect(stranger).toEqual({ type: 'NotAllowed', message: expect.stringContaining('not named in policy') });
      const owner = await refusal(approve(handle, OWNER));
      expect(owner.type).toBe('NotAllowed');
      expect((await handle.query(exceptionStatusQuery)).approvedBy).toBeUndefined();

      await approve(handle, SECOND);
      const active = await waitFor(handle, inStatus('active'), 'active');
      expect(active).toMatchObject({ signedOffBy: OWNER, approvedBy: SECOND });
    });
  });

  it('requires signed sign-off and approval where policy says so, refuses forged signatures and lists the valid ones', async () => {
    const owner = generateKeyPairSync('ed25519');
    const lead = generateKeyPairSync('ed25519');
    const mallory = generateKeyPairSync('ed25519');
    const tech = generateKeyPairSync('ed25519');
    const pem = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();
    await withWorker(
      async ({ hosts }) => {
        const handle = await request([hosts[0]!], {}, tech.privateKey);
        // Signs over what the status shows pending, at the workflow's time (the test server's clock runs ahead).
        const signed = async (key: KeyObject, kind: 'exception-signoff' | 'exception-approve', by: string) => {
          const status = await handle.query(exceptionStatusQuery);
          const view = { ...status, workflowId: handle.workflowId, pending: status.pending ?? { step: kind === 'exception-signoff' ? 'signoff' as const : 'approval' as const, who: [], decideBy: '', decisionId: 'none', since: '' } };
          return exceptionDecisionUpdate(view, { kind, by }, (f) => signDecision(f, key, { signedAt: new Date(Math.max(Date.parse(status.pending?.since ?? '') || 0, Date.now()) + 1000) })).input.signature;
        };
        await waitFor(handle, pending('signoff'), 'sign-off pending');
        const unsigned = await refusal(signOff(handle, OWNER));
        expect(unsigned).toEqual({ type: 'NotAllowed', message: expect.stringContaining('requires signed decisions') });
        const forged = await refusal(handle.executeUpdate(signOffExceptionUpdate, { args: [{ by: OWNER, signature: await signed(mallory.privateKey, 'exception-signoff', OWNER) }] }));
        expect(forged).toEqual({ type: 'NotAllowed', message: expect.stringContaining('does not verify') });
        // A signature made for another decision of this exception decides nothing here.
        const good = await signed(owner.privateKey, 'exception-signoff', OWNER);
        const wrongDecision = await refusal(handle.executeUpdate(signOffExceptionUpdate, { args: [{ by: OWNER, signature: { ...good!, decisionId: 'approval:9' } }] }));
        expect(wrongDecision.type).toBe('NotAllowed');

        await handle.executeUpdate(signOffExceptionUpdate, { args: [{ by: OWNER, signature: await signed(owner.privateKey, 'exception-signoff', OWNER) }] });
        await waitFor(handle, pending('approval'), 'approval pending');
        await handle.executeUpdate(approveExceptionUpdate, { args: [{ by: LEAD, signature: await signed(lead.privateKey, 'exception-approve', LEAD) }] });
        const active = await waitFor(handle, inStatus('active'), 'active');
        const decisions = active.events.filter((e) => e.event === 'signed-off' || e.event === 'approved');
        expect(decisions.map((e) => e.by)).toEqual([OWNER, LEAD]);
        const approval = decisions[1]?.signature;
        expect(cryptoVerify(null, Buffer.from(approval?.message ?? ''), lead.publicKey, Buffer.from(approval?.value ?? '', 'base64'))).toBe(true);
      },
      (policy) => {
        policy.signing = { requireSignedApprovals: true, publicKeys: { [OWNER]: pem(owner.publicKey), [LEAD]: pem(lead.publicKey), [SECOND]: pem(mallory.publicKey), [TECH]: pem(tech.publicKey) }, delegates: {} };
      },
    );
  });

  it('rejects an expiry beyond the policy maximum or in the past, naming expiresAt and the limit', async () => {
    await withWorker(async ({ h, hosts }) => {
      const tooLong = await request([hosts[0]!], { expiresAt: await inDays(120) });
      const long = await tooLong.result();
      expect(long.status).toBe('rejected');
      expect(long.reason).toMatch(/^expiresAt: must be at most 90d from now \(policy\)/);

      const past = await request([hosts[1]!], { expiresAt: await inDays(-1) });
      const gone = await past.result();
      expect(gone.status).toBe('rejected');
      expect(gone.reason).toMatch(/^expiresAt: must be in the future/);

      const none = await request([hosts[2]!], { expiresAt: undefined });
      expect((await none.result()).reason).toContain('expiresAt: is required');

      expect(await registerRow(h, long.exceptionId, rowStatus('rejected'), 'rejected')).toMatchObject({ status: 'rejected', statusReason: long.reason });
      const { rows } = await h.db.pool.query(`SELECT count(*)::int AS n FROM sim_psa_tickets`);
      expect(rows[0].n).toBe(0);
    });
  });

  it('refuses an isolated lane without compensating controls or the client approval, naming the fields', async () => {
    await withWorker(async ({ hosts }) => {
      const handle = await request([hosts[0]!], { kind: 'isolated-lane', expiresAt: undefined, reviewAt: await inDays(90), controls: [], clientApprovalRef: undefined });
      const result = await handle.result();
      expect(result.status).toBe('rejected');
      expect(result.reason).toContain('controls: an isolated lane needs at least one compensating control');
      expect(result.reason).toContain('clientApprovalRef: is required');

      const noRef = await request([hosts[1]!], { kind: 'isolated-lane', expiresAt: undefined, reviewAt: await inDays(90), clientApprovalRef: ' ' });
      const refused = await noRef.result();
      expect(refused.reason).toBe("clientApprovalRef: is required: the client's written approval reference");
    });
  });

});
