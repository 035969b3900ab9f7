import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExceptionRequest, ExceptionStatus } from '../../domain/exception/exception';
import { exceptionWorkflowId } from '../../domain/ids';
import { approveExceptionUpdate, exceptionStatusQuery, renewExceptionUpdate, revokeExceptionUpdate, signOffExceptionUpdate } from '../../workflows/exception/messages';
import { patchException } from '../../workflows/exception/patch-exception';
import { TASK_QUEUE, loadTestPolicy, startTimeSkipping } from '../support/cycle-harness';
import { stubWorker, stubWorld, type StubWorld } from './stub-activities';

// patchException against in-memory activities on the time-skipping server (no database).
// tests/workflows/patch-exception.test.ts covers the same lifecycle with the real register and PSA.

const OWNER = 'owner@clinic.test';
const LEAD = 'lead@msp.test';
const TECH = 'tech@msp.test';
const DAY = 86_400_000;

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

let counter = 0;
type Handle = WorkflowHandle<typeof patchException>;

async function withException<T>(over: Partial<ExceptionRequest>, body: (ctx: { handle: Handle; world: StubWorld }) => Promise<T>): Promise<T> {
  const world = stubWorld(loadTestPolicy('tests/fixtures/policy-exceptions.yaml'), {});
  const worker = await stubWorker(env, world);
  return worker.runUntil(async () => {
    const exceptionId = `clinic-stub-${++counter}`;
    const input: ExceptionRequest = {
      exceptionId,
      clientId: 'clinic',
      kind: 'deferral',
      hostnames: ['ws-0001'],
      patchIds: [],
      reason: 'EHR vendor has not certified the update yet',
      requestedBy: TECH,
      expiresAt: new Date((await env.currentTimeMs()) + 30 * DAY).toISOString(),
      controls: [],
      ...over,
    };
    const handle = await env.client.workflow.start(patchException, { taskQueue: TASK_QUEUE, workflowId: exceptionWorkflowId('clinic', exceptionId), args: [input] });
    return body({ handle, world });
  });
}

async function waitFor(handle: Handle, done: (s: ExceptionStatus) => boolean): Promise<ExceptionStatus> {
  for (let i = 0; i < 200; i++) {
    const status = await handle.query(exceptionStatusQuery);
    if (done(status)) return status;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('exception never reached the awaited state');
}

async function activate(handle: Handle): Promise<ExceptionStatus> {
  await waitFor(handle, (s) => s.pending?.step === 'signoff');
  await handle.executeUpdate(signOffExceptionUpdate, { args: [{ by: OWNER }] });
  await waitFor(handle, (s) => s.pending?.step === 'approval');
  await handle.executeUpdate(approveExceptionUpdate, { args: [{ by: LEAD }] });
  return waitFor(handle, (s) => s.status === 'active' && !s.pending);
}

describe('patchException with stubbed activities', () => {
  it('runs request → ticket → sign-off → approval → active → reminder → expiry, writing each status to the register', async () => {
    await withException({}, async ({ handle, world }) => {
      const active = await activate(handle);
      expect(active.events.map((e) => e.event)).toEqual(['requested', 'ticket', 'signed-off', 'approved', 'activated']);
      const result = await handle.result();
      expect(result.status).toBe('expired');
      expect(world.exceptionRows.map((r) => r.status)).toEqual(['requested', 'active', 'expired']);
      expect(world.notices.map((n) => n.subject)).toContainEqual(expect.stringContaining(`Exception ${result.exceptionId} ends`));
      expect(world.tickets[0]?.notes.at(-1)).toContain(`Exception ${result.exceptionId} expired`);
    });
  });

  it('mails every renewal its own sign-off and approval request (one Message-ID per renewal)', async () => {
    await withException({}, async ({ handle, world }) => {
      await activate(handle);
      for (const days of [40, 50]) {
        const until = new Date((await env.currentTimeMs()) + days * DAY).toISOString();
        await handle.executeUpdate(renewExceptionUpdate, { args: [{ by: TECH, until, reason: 'vendor slipped again' }] });
        await waitFor(handle, (s) => s.pending?.step === 'signoff');
        await handle.executeUpdate(signOffExceptionUpdate, { args: [{ by: OWNER }] });
        await waitFor(handle, (s) => s.pending?.step === 'approval');
        await handle.executeUpdate(approveExceptionUpdate, { args: [{ by: LEAD }] });
        await waitFor(handle, (s) => s.status === 'active' && !s.pending && s.expiresAt === until);
      }
      const signOffs = world.notices.filter((n) => n.subject.includes('Sign off exception'));
      expect(signOffs).toHaveLength(3);
      // The worker sends each Message-ID once: equal ids would have swallowed the second renewal's mail.
      expect(new Set(signOffs.map((n) => n.messageId)).size).toBe(3);
      const approvals = world.notices.filter((n) => n.subject.includes('Approve exception'));
      expect(new Set(approvals.map((n) => n.messageId)).size).toBe(3);
      await handle.executeUpdate(revokeExceptionUpdate, { args: [{ by: LEAD, reason: 'patched' }] });
    });
  });

  it('refuses a renewal beyond the policy maximum naming the renewal field, not a command-line option', async () => {
    await withException({}, async ({ handle }) => {
      await activate(handle);
      const until = new Date((await env.currentTimeMs()) + 120 * DAY).toISOString();
      const refused = await handle.executeUpdate(renewExceptionUpdate, { args: [{ by: TECH, until, reason: 'vendor slipped' }] }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      const cause = (refused as WorkflowUpdateFailedError).cause as unknown as { type: string; message: string };
      expect(cause.type).toBe('InvalidInput');
      expect(cause.message).toMatch(/^until: must be at most 90d from now/);
      expect(cause.message).not.toContain('--');
      await handle.executeUpdate(revokeExceptionUpdate, { args: [{ by: OWNER, reason: 'test done' }] });
      expect((await handle.result()).status).toBe('revoked');
    });
  });

  it('is revoked while it waits for sign-off; a second revocation is refused', async () => {
    await withException({}, async ({ handle, world }) => {
      await waitFor(handle, (s) => s.pending?.step === 'signoff');
      await handle.executeUpdate(revokeExceptionUpdate, { args: [{ by: LEAD, reason: 'asked by mistake' }] });
      const result = await handle.result();
      expect(result).toMatchObject({ status: 'revoked', reason: `revoked by ${LEAD}: asked by mistake` });
      expect(world.exceptionRows.at(-1)).toMatchObject({ status: 'revoked' });
    });
  });

  it('rejects a request without an expiry before opening a ticket', async () => {
    await withException({ expiresAt: undefined }, async ({ handle, world }) => {
      const result = await handle.result();
      expect(result).toMatchObject({ status: 'rejected', reason: expect.stringContaining('expiresAt: is required') });
      expect(world.tickets).toEqual([]);
    });
  });
});
