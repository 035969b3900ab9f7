import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exceptionDecisionUpdate, type ExceptionDecision } from '../../client/use-cases/decide';
import { signDecision } from '../../client/use-cases/approval-signing';
import { exceptionRequestFacts, type ExceptionRequest, type ExceptionStatus } from '../../domain/exception/exception';
import { exceptionWorkflowId } from '../../domain/ids';
import { exceptionStatusQuery } from '../../workflows/exception/messages';
import { patchException } from '../../workflows/exception/patch-exception';
import { TASK_QUEUE, loadTestPolicy, startTimeSkipping } from '../support/cycle-harness';
import { person, type TestPerson } from '../support/signing';
import { stubWorker, stubWorld, type StubWorld } from './stub-activities';

// Who may decide on an exception under signed policy: four eyes over renewals, one signature per
// decision, the requester known and signed, keys as the policy holds them now.

const OWNER = person('owner@clinic.test');
const LEAD = person('lead@msp.test');
const SECOND = person('second@msp.test');
const TECH = person('tech@msp.test');
const PEOPLE = [OWNER, LEAD, SECOND, TECH];
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
type Send = (d: ExceptionDecision, as?: TestPerson, at?: string) => Promise<unknown>;

async function withException<T>(body: (ctx: { handle: Handle; world: StubWorld; send: Send }) => Promise<T>, over: Partial<ExceptionRequest> = {}, requestSigner: TestPerson | null = TECH): Promise<T> {
  const policy = loadTestPolicy('tests/fixtures/policy-exceptions.yaml');
  policy.signing = { requireSignedApprovals: true, publicKeys: Object.fromEntries(PEOPLE.map((p) => [p.id, p.publicKeyPem])), delegates: {} };
  const world = stubWorld(policy, {});
  const worker = await stubWorker(env, world);
  return worker.runUntil(async () => {
    const exceptionId = `clinic-trust-${++counter}`;
    const now = await env.currentTimeMs();
    const input: ExceptionRequest = {
      exceptionId,
      clientId: 'clinic',
      kind: 'deferral',
      hostnames: ['ws-0001'],
      patchIds: [],
      reason: 'EHR vendor has not certified the update yet',
      requestedBy: TECH.id,
      expiresAt: new Date(now + 30 * DAY).toISOString(),
      controls: [],
      ...over,
    };
    const workflowId = exceptionWorkflowId('clinic', exceptionId);
    if (requestSigner) input.signature = signDecision(exceptionRequestFacts(workflowId, input), requestSigner.privateKey, { signedAt: new Date(now) });
    const handle = await env.client.workflow.start(patchException, { taskQueue: TASK_QUEUE, workflowId, workflowIdReusePolicy: 'REJECT_DUPLICATE', args: [input] });
    const send: Send = async (d, as, at) => {
      const status = await handle.query(exceptionStatusQuery);
      const key = as ?? PEOPLE.find((p) => p.id === d.by)!;
      const when = at ?? new Date(Math.max(Date.parse(status.pending?.since ?? status.control?.since ?? ''), await env.currentTimeMs()) + 1000).toISOString();
      const { update, input: args } = exceptionDecisionUpdate({ ...status, workflowId }, d, (f) => signDecision(f, key.privateKey, { signedAt: new Date(when) }));
      return handle.executeUpdate(update as never, { args: [args] } as never);
    };
    return body({ handle, world, send });
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

const refused = (type: string, message: string) => ({ cause: { type, message: expect.stringContaining(message) } });

async function activate(handle: Handle, send: Send): Promise<ExceptionStatus> {
  await waitFor(handle, (s) => s.pending?.step === 'signoff');
  await send({ kind: 'exception-signoff', by: OWNER.id });
  await waitFor(handle, (s) => s.pending?.step === 'approval');
  await send({ kind: 'exception-approve', by: LEAD.id });
  return waitFor(handle, (s) => s.status === 'active' && !s.pending);
}

describe('patchException: who may decide, and what a signature is worth', () => {
  it('fails at request with NotAllowed for an unknown or unsigned requester', async () => {
    await withException(async ({ handle }) => {
      await expect(handle.result()).rejects.toMatchObject({ cause: { type: 'NotAllowed', message: expect.stringContaining('nobody@example.test is not a person the policy knows') } });
    }, { requestedBy: ' NoBody@Example.test' }, null);
    await withException(async ({ handle }) => {
      await expect(handle.result()).rejects.toMatchObject({ cause: { type: 'NotAllowed', message: expect.stringContaining('carries no signature') } });
    }, {}, null);
  });

  it('lets nobody approve a renewal they asked for, and no earlier signature approve a renewal', async () => {
    await withException(async ({ handle, send }) => {
      await waitFor(handle, (s) => s.pending?.step === 'signoff');
      await send({ kind: 'exception-signoff', by: OWNER.id });
      const approvalPending = await waitFor(handle, (s) => s.pending?.step === 'approval');
      const firstApproval = exceptionDecisionUpdate({ ...approvalPending, workflowId: handle.workflowId }, { kind: 'exception-approve', by: LEAD.id }, (f) =>
        signDecision(f, LEAD.privateKey, { signedAt: new Date(Date.parse(approvalPending.pending!.since) + 1000) }),
      );
      await handle.executeUpdate(firstApproval.update as never, { args: [firstApproval.input] } as never);
      await waitFor(handle, (s) => s.status === 'active' && !s.pending);

      const until = new Date((await env.currentTimeMs()) + 40 * DAY).toISOString();
      await send({ kind: 'exception-renew', by: ' Lead@MSP.test', until, reason: 'vendor slipped' }, LEAD);
      await waitFor(handle, (s) => s.pending?.step === 'signoff');
      await send({ kind: 'exception-signoff', by: OWNER.id });
      const renewal = await waitFor(handle, (s) => s.pending?.step === 'approval');
      expect(renewal.pending?.who).toEqual([SECOND.id]);
      // The first approval's signature, replayed as is, does not approve the renewal.
      await expect(handle.executeUpdate(firstApproval.update as never, { args: [firstApproval.input] } as never)).rejects.toMatchObject(refused('NotAllowed', 'asked for this renewal'));
      await expect(send({ kind: 'exception-approve', by: 'LEAD@msp.test' }, LEAD)).rejects.toMatchObject(refused('NotAllowed', 'lead@msp.test asked for this renewal and cannot also approve it'));
      await send({ kind: 'exception-approve', by: SECOND.id });
      const renewed = await waitFor(handle, (s) => s.status === 'active' && !s.pending && s.expiresAt === until);
      const events = renewed.events.filter((e) => e.signature);
      expect(events.map((e) => e.event)).toEqual(['requested', 'signed-off', 'approved', 'renewal-requested', 'signed-off', 'approved']);
      expect(JSON.parse(events[3]!.signature!.message)).toMatchObject({ decision: 'renew', until, by: LEAD.id });
      expect(new Set(events.map((e) => e.signature!.decisionId)).size).toBe(events.length);
      await send({ kind: 'exception-revoke', by: OWNER.id, reason: 'patched' });
      await handle.result();
    });
  });

  it('refuses a renewal signed for another date, and applies a key revoked after the step opened', async () => {
    await withException(async ({ handle, world, send }) => {
      await activate(handle, send);
      const status = await handle.query(exceptionStatusQuery);
      const until = new Date((await env.currentTimeMs()) + 40 * DAY).toISOString();
      const other = new Date((await env.currentTimeMs()) + 80 * DAY).toISOString();
      const signedFor40 = exceptionDecisionUpdate({ ...status, workflowId: handle.workflowId }, { kind: 'exception-renew', by: TECH.id, until, reason: 'slipped' }, (f) =>
        signDecision(f, TECH.privateKey, { signedAt: new Date(Date.parse(status.control!.since) + 1000) }),
      );
      const moved = { ...signedFor40.input, until: other };
      await expect(handle.executeUpdate(signedFor40.update as never, { args: [moved] } as never)).rejects.toMatchObject(refused('NotAllowed', 'does not verify'));
      await handle.executeUpdate(signedFor40.update as never, { args: [signedFor40.input] } as never);
      await waitFor(handle, (s) => s.pending?.step === 'signoff');
      delete world.policy.signing.publicKeys[OWNER.id];
      await expect(send({ kind: 'exception-signoff', by: OWNER.id })).rejects.toMatchObject(refused('NotAllowed', 'owner@clinic.test has no public key'));
      await send({ kind: 'exception-revoke', by: LEAD.id, reason: 'test done' });
      await handle.result();
    });
  });
});
