import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PatchPolicy } from '../../config/policy-schema';
import { cycleStartFacts } from '../../domain/cycle/cycle-deciders';
import type { CycleStatus } from '../../domain/cycle/cycle-status';
import { cycleWorkflowId } from '../../domain/ids';
import { cycleDecisionUpdate, type CycleControl, type CycleDecision } from '../../client/use-cases/decide';
import { signDecision } from '../../client/use-cases/approval-signing';
import { cycleStatusQuery } from '../../workflows/cycle/messages';
import { patchCycle } from '../../workflows/cycle/patch-cycle';
import { TASK_QUEUE, advanceUntil, loadTestPolicy, startTimeSkipping } from '../support/cycle-harness';
import { person, signerAt, type TestPerson } from '../support/signing';
import { stubWorker, stubWorld, type StubWorld } from './stub-activities';

// Who may decide on a cycle, and what a signature is worth: each test is one way of deciding as
// somebody else, or of using a signature twice, that the cycle must refuse.

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

const STARTER = person('starter@msp.test');
const LEAD = person('lead@msp.test');
const OWNER = person('owner@clinic.test');
const MALLORY = person('mallory@msp.test');
const PAGE = person('approval-page');

function signedPolicy(policy: PatchPolicy): void {
  policy.signing = {
    requireSignedApprovals: true,
    publicKeys: { [STARTER.id]: STARTER.publicKeyPem, [LEAD.id]: LEAD.publicKeyPem, [OWNER.id]: OWNER.publicKeyPem, [MALLORY.id]: MALLORY.publicKeyPem },
    delegates: { 'approval-page': PAGE.publicKeyPem },
  };
}

type Handle = Awaited<ReturnType<typeof env.client.workflow.start<typeof patchCycle>>>;
let counter = 0;

async function withCycle<T>(
  rings: StubWorld['rings'],
  body: (ctx: { handle: Handle; world: StubWorld; send: (d: CycleDecision | CycleControl, as?: TestPerson, opts?: { at?: string; delegate?: string }) => Promise<unknown> }) => Promise<T>,
  options: { configure?: (policy: PatchPolicy) => void; requestedBy?: string; startSigner?: TestPerson | null } = {},
): Promise<T> {
  const policy = loadTestPolicy();
  signedPolicy(policy);
  options.configure?.(policy);
  const world = stubWorld(policy, rings);
  const worker = await stubWorker(env, world);
  return worker.runUntil(async () => {
    const cycleName = `trust-${++counter}`;
    const workflowId = cycleWorkflowId('clinic', cycleName);
    const args = { clientId: 'clinic', cycleName, requestedBy: options.requestedBy ?? STARTER.id };
    const startSigner = options.startSigner === undefined ? STARTER : options.startSigner;
    const signature = startSigner ? signDecision(cycleStartFacts(workflowId, args), startSigner.privateKey, { signedAt: await env.currentTimeMs().then((ms) => new Date(ms)) }) : undefined;
    const handle = await env.client.workflow.start(patchCycle, { taskQueue: TASK_QUEUE, workflowId, workflowIdReusePolicy: 'REJECT_DUPLICATE', args: [{ ...args, signature }] });
    // Signs as `as` (default: the person named in the decision) at the workflow's time, over what the status shows pending.
    const send = async (d: CycleDecision | CycleControl, as?: TestPerson, opts: { at?: string; delegate?: string } = {}) => {
      const status = await handle.query(cycleStatusQuery);
      const key = as ?? [STARTER, LEAD, OWNER, MALLORY].find((p) => p.id === d.by.trim().toLowerCase()) ?? MALLORY;
      const at = opts.at ?? new Date(Math.max(Date.parse(status.pending?.since ?? status.control?.since ?? ''), await env.currentTimeMs()) + 1000).toISOString();
      return cycleDecisionUpdate(status, d, signerAt(opts.delegate ? PAGE.privateKey : key.privateKey, at, opts.delegate)).send(handle);
    };
    return body({ handle, world, send });
  });
}

const SMALL = { canary: { size: 2, batches: 1 }, pilot: { size: 2, batches: 1 }, production: { size: 4, batches: 2 } };
const pendingPromotion = (ring: string) => (s: CycleStatus) => s.pending?.kind === 'promotion' && s.pending.ring === ring;
const pendingGate = (ring: string) => (s: CycleStatus) => s.pending?.kind === 'gate' && s.pending.ring === ring;
const refused = (type: string, message: string | RegExp) => ({ cause: { type, message: typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message) } });

async function abortAndWait(send: (d: CycleControl) => Promise<unknown>, handle: Handle): Promise<void> {
  await send({ kind: 'abort', by: LEAD.id, reason: 'test done' });
  await handle.result();
}

describe('patchCycle: who may decide, and what a signature is worth', () => {
  it('fails at start with NotAllowed when the requester is unknown or the start is unsigned', async () => {
    await withCycle(SMALL, async ({ handle }) => {
      await expect(handle.result()).rejects.toMatchObject({ cause: { type: 'NotAllowed', message: expect.stringContaining('stranger@example.test is not a person the policy knows') } });
    }, { requestedBy: 'Stranger@Example.test', startSigner: null });
    await withCycle(SMALL, async ({ handle }) => {
      await expect(handle.result()).rejects.toMatchObject({ cause: { type: 'NotAllowed', message: expect.stringContaining('carries no signature') } });
    }, { startSigner: null });
    await withCycle(SMALL, async ({ handle }) => {
      await expect(handle.result()).rejects.toMatchObject({ cause: { type: 'NotAllowed', message: expect.stringContaining('does not verify against the public key of starter@msp.test') } });
    }, { startSigner: MALLORY });
  });

  it('records the signed start and exposes the run id and pending decision id a signer signs', async () => {
    await withCycle(SMALL, async ({ handle, send }) => {
      const status = await advanceUntil(env, handle, pendingPromotion('pilot'), '6h');
      expect(status.runId).toBe((await handle.describe()).runId);
      expect(status.pending?.decisionId).toMatch(/^promotion:pilot:\d+$/);
      expect(status.decisions[0]).toMatchObject({ kind: 'start', by: STARTER.id, signature: { decisionId: 'start' } });
      await abortAndWait(send, handle);
    });
  });

  it('keeps four eyes for a case or whitespace variant of the requester, and refuses unsigned, wrong-key and other people', async () => {
    await withCycle(SMALL, async ({ handle, send }) => {
      await advanceUntil(env, handle, pendingPromotion('pilot'), '6h');
      await expect(send({ kind: 'approve-ring', ring: 'pilot', by: ' Starter@MSP.test ' })).rejects.toMatchObject(refused('NotAllowed', 'started this cycle and cannot also decide'));
      await expect(cycleDecisionUpdate(await handle.query(cycleStatusQuery), { kind: 'approve-ring', ring: 'pilot', by: LEAD.id }).send(handle)).rejects.toMatchObject(refused('NotAllowed', 'carries no signature'));
      await expect(send({ kind: 'approve-ring', ring: 'pilot', by: LEAD.id }, MALLORY)).rejects.toMatchObject(refused('NotAllowed', 'does not verify against the public key of lead@msp.test'));
      await expect(send({ kind: 'approve-ring', ring: 'pilot', by: MALLORY.id })).rejects.toMatchObject(refused('NotAllowed', 'mallory@msp.test is not named in policy for promotion to pilot'));
      await expect(send({ kind: 'approve-ring', ring: 'pilot', by: 'LEAD@msp.test' })).resolves.toMatchObject({ accepted: true });
      const status = await handle.query(cycleStatusQuery);
      expect(status.decisions.find((d) => d.kind === 'approval')).toMatchObject({ by: LEAD.id });
      await abortAndWait(send, handle);
    });
  });

  it('refuses signedAt a year old or in the future, and a decision signed for another pending id', async () => {
    await withCycle(SMALL, async ({ handle, send }) => {
      const status = await advanceUntil(env, handle, pendingPromotion('pilot'), '6h');
      const since = Date.parse(status.pending!.since);
      await expect(send({ kind: 'approve-ring', ring: 'pilot', by: LEAD.id }, LEAD, { at: new Date(since - 365 * 86_400_000).toISOString() })).rejects.toMatchObject(refused('NotAllowed', /signedAt .* lies outside/));
      await expect(send({ kind: 'approve-ring', ring: 'pilot', by: LEAD.id }, LEAD, { at: '2099-01-01T00:00:00.000Z' })).rejects.toMatchObject(refused('NotAllowed', /signedAt 2099-01-01T00:00:00.000Z lies outside/));
      const stale = { ...status, pending: { ...status.pending!, decisionId: 'promotion:pilot:0' } };
      const sign = signerAt(LEAD.privateKey, new Date(since + 1000));
      await expect(cycleDecisionUpdate(stale, { kind: 'approve-ring', ring: 'pilot', by: LEAD.id }, sign).send(handle)).rejects.toMatchObject(refused('NotAllowed', 'the pending decision is "promotion:pilot'));
      await abortAndWait(send, handle);
    });
  });

  it('does not let a signed gate override decide a later breach of the same ring', async () => {
    const rings = { ...SMALL, canary: { size: 2, batches: 1, failingPerBatch: 2 } };
    await withCycle(rings, async ({ handle, send }) => {
      const first = await advanceUntil(env, handle, pendingGate('canary'));
      const at = new Date(Date.parse(first.pending!.since) + 1000);
      const retry = cycleDecisionUpdate(first, { kind: 'gate', ring: 'canary', decision: 'retry-failed', by: LEAD.id, reason: 'transient' }, signerAt(LEAD.privateKey, at));
      await retry.send(handle);
      // The retry passes; an incident in the canary's soak breaches the same ring's gate again.
      await advanceUntil(env, handle, (s) => s.rings[0]?.state === 'soaking');
      await send({ kind: 'incident', by: LEAD.id, summary: 'EHR login fails' });
      const second = await advanceUntil(env, handle, (s) => s.pending?.kind === 'gate' && s.pending.decisionId !== first.pending!.decisionId);
      // Replaying the first decision's exact update (same signature) does not decide the new breach.
      await expect(handle.executeUpdate('decideGate', { args: [retry.input] })).rejects.toMatchObject(refused('NotAllowed', `the pending decision is "${second.pending!.decisionId}"`));
      expect(second.decisions.filter((d) => d.kind === 'gate-decision')).toHaveLength(1);
      await abortAndWait(send, handle);
    });
  });

  it('applies a key revoked or an approver removed after the decision became pending', async () => {
    await withCycle(SMALL, async ({ handle, world, send }) => {
      await advanceUntil(env, handle, pendingPromotion('pilot'), '6h');
      world.policy.rings.pilot.promotion.approvers = [STARTER.id, OWNER.id];
      await expect(send({ kind: 'approve-ring', ring: 'pilot', by: LEAD.id })).rejects.toMatchObject(refused('NotAllowed', 'lead@msp.test is not named in policy for promotion to pilot'));
      delete world.policy.signing.publicKeys[OWNER.id];
      await expect(send({ kind: 'approve-ring', ring: 'pilot', by: OWNER.id })).rejects.toMatchObject(refused('NotAllowed', 'owner@clinic.test has no public key'));
      expect((await handle.query(cycleStatusQuery)).decisions.filter((d) => d.kind === 'approval')).toEqual([]);
      await abortAndWait(send, handle);
    });
  });

  it('accepts a listed delegate signing on behalf of a named approver and says so in the audit', async () => {
    await withCycle(SMALL, async ({ handle, send }) => {
      await advanceUntil(env, handle, pendingPromotion('pilot'), '6h');
      await send({ kind: 'approve-ring', ring: 'pilot', by: LEAD.id, comment: 'via the page' }, LEAD, { delegate: 'approval-page' });
      const status = await handle.query(cycleStatusQuery);
      const approval = status.decisions.find((d) => d.kind === 'approval');
      expect(approval?.signature).toMatchObject({ delegate: 'approval-page' });
      expect(JSON.parse(approval!.signature!.message)).toMatchObject({ tag: 'patchctl/decision/v2', by: LEAD.id, delegate: 'approval-page', reason: 'via the page', runId: status.runId });
      await abortAndWait(send, handle);
    });
  });

  it('lets only operators abort, report incidents and pause, signed and within the size limit', async () => {
    await withCycle(SMALL, async ({ handle, send }) => {
      await advanceUntil(env, handle, pendingPromotion('pilot'), '6h');
      await expect(send({ kind: 'abort', by: 'helpdesk@clinic.test', reason: 'me' }, MALLORY)).rejects.toMatchObject(refused('NotAllowed', 'helpdesk@clinic.test may not abort this cycle'));
      await expect(send({ kind: 'incident', by: LEAD.id, summary: 'x'.repeat(2001) })).rejects.toMatchObject(refused('InvalidInput', 'summary is 2001 characters'));
      await expect(cycleDecisionUpdate(await handle.query(cycleStatusQuery), { kind: 'pause', by: LEAD.id }).send(handle)).rejects.toMatchObject(refused('NotAllowed', 'carries no signature'));
      const before = await handle.query(cycleStatusQuery);
      await send({ kind: 'pause', by: LEAD.id, reason: 'audit today' });
      const paused = await handle.query(cycleStatusQuery);
      expect(paused.paused).toBe(true);
      expect(paused.control?.decisionId).not.toBe(before.control?.decisionId);
      // The pause's signature, replayed as is, does not resume nor pause again.
      await send({ kind: 'resume', by: LEAD.id });
      const sign = signerAt(LEAD.privateKey, new Date(Date.parse(before.control!.since) + 1000));
      await expect(cycleDecisionUpdate(before, { kind: 'pause', by: LEAD.id, reason: 'audit today' }, sign).send(handle)).rejects.toMatchObject(refused('NotAllowed', 'the pending decision is "control:'));
      expect((await handle.query(cycleStatusQuery)).paused).toBe(false);
      await abortAndWait(send, handle);
    }, { configure: (policy) => void (policy.operators = [LEAD.id]) });
  });

  it('refuses to start a second cycle under a used id (REJECT_DUPLICATE)', async () => {
    await withCycle(SMALL, async ({ handle, send }) => {
      await advanceUntil(env, handle, pendingPromotion('pilot'), '6h');
      await abortAndWait(send, handle);
      const again = env.client.workflow.start(patchCycle, { taskQueue: TASK_QUEUE, workflowId: handle.workflowId, workflowIdReusePolicy: 'REJECT_DUPLICATE', args: [{ clientId: 'clinic', cycleName: 'x', requestedBy: STARTER.id }] });
      await expect(again).rejects.toMatchObject({ name: 'WorkflowExecutionAlreadyStartedError' });
    });
  });
});
