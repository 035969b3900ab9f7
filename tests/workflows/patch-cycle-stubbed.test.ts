import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PatchPolicy } from '../../config/policy-schema';
import type { CycleStatus } from '../../domain/cycle/cycle-status';
import { cycleWorkflowId } from '../../domain/ids';
import { abortUpdate, approveRingUpdate, cycleStatusQuery, gateDecisionUpdate, rejectPromotionUpdate } from '../../workflows/cycle/messages';
import { patchCycle } from '../../workflows/cycle/patch-cycle';
import { TASK_QUEUE, advanceUntil, loadTestPolicy, startTimeSkipping } from '../support/cycle-harness';
import { holdBatch, stubWorker, stubWorld, type StubWorld } from './stub-activities';

// patchCycle against in-memory activities on the time-skipping server: the inner loop of a
// workflow change (seconds, no database). tests/workflows/patch-cycle.test.ts runs the same
// workflow against the real activities, PostgreSQL and the simulated vendors.

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

let counter = 0;
async function withStubbedCycle<T>(
  rings: StubWorld['rings'],
  body: (ctx: { handle: Awaited<ReturnType<typeof env.client.workflow.start<typeof patchCycle>>>; world: StubWorld }) => Promise<T>,
  configure?: (policy: PatchPolicy) => void,
): Promise<T> {
  const policy = loadTestPolicy();
  configure?.(policy);
  const world = stubWorld(policy, rings);
  const worker = await stubWorker(env, world);
  return worker.runUntil(async () => {
    const cycleName = `stub-${++counter}`;
    const handle = await env.client.workflow.start(patchCycle, {
      taskQueue: TASK_QUEUE,
      workflowId: cycleWorkflowId('clinic', cycleName),
      args: [{ clientId: 'clinic', cycleName, requestedBy: 'starter@msp.test' }],
    });
    return body({ handle, world });
  });
}

const SMALL = { canary: { size: 2, batches: 1 }, pilot: { size: 2, batches: 1 }, production: { size: 4, batches: 2 } };
const pendingPromotion = (ring: string) => (s: CycleStatus) => s.pending?.kind === 'promotion' && s.pending.ring === ring;
const pendingGate = (ring: string) => (s: CycleStatus) => s.pending?.kind === 'gate' && s.pending.ring === ring;

describe('patchCycle with stubbed activities', () => {
  it('promotes through every ring with the named approvers and records its end', async () => {
    await withStubbedCycle(SMALL, async ({ handle, world }) => {
      await advanceUntil(env, handle, pendingPromotion('pilot'), '6h');
      await handle.executeUpdate(approveRingUpdate, { args: [{ ring: 'pilot', approver: 'lead@msp.test' }] });
      await advanceUntil(env, handle, pendingPromotion('production'), '6h');
      await handle.executeUpdate(approveRingUpdate, { args: [{ ring: 'production', approver: 'owner@clinic.test' }] });
      const result = await handle.result();
      expect(result.status).toBe('completed');
      expect(result.reason).toBe('all rings passed; 8 of 8 assets verified');
      expect(result.rings.map((r) => [r.ring, r.state, r.verified])).toEqual([
        ['canary', 'passed', 2],
        ['pilot', 'passed', 2],
        ['production', 'passed', 4],
      ]);
      expect(world.cycleStatuses).toEqual([{ cycleId: handle.workflowId, status: 'completed', reason: result.reason }]);
      expect(world.notices.map((n) => n.subject)).toContainEqual(expect.stringContaining(`${handle.workflowId} completed`));
      expect(world.tickets).toEqual([]);
    });
  });

  it('shows the failed count and failure rate of a ring while it is still deploying', async () => {
    const rings = { ...SMALL, canary: { size: 8, batches: 2, failingPerBatch: 1 } };
    await withStubbedCycle(rings, async ({ handle, world }) => {
      holdBatch(world, 'canary', 1);
      // Batch 1 may still be on its way to the held verification when batch 0's counts arrive.
      const live = await advanceUntil(env, handle, (s) => world.hold?.reached === true && (s.rings[0]?.failed ?? 0) > 0, 1000);
      expect(world.hold?.reached).toBe(true);
      expect(live.phase).toBe('deploying');
      expect(live.rings[0]).toMatchObject({ state: 'deploying', failed: 1, verified: 3, failureRate: 1 / 8 });
      world.hold?.release();
      const atPilot = await advanceUntil(env, handle, pendingPromotion('pilot'));
      expect(atPilot.rings[0]).toMatchObject({ state: 'passed', failed: 2, verified: 6, failureRate: 2 / 8 });
      await handle.executeUpdate(abortUpdate, { args: [{ by: 'lead@msp.test', reason: 'test done' }] });
      expect((await handle.result()).status).toBe('rolled-back');
    });
  });

  it('rolls back a breached canary when the approver decides rollback, and closes the gate ticket with that outcome', async () => {
    const rings = { ...SMALL, canary: { size: 2, batches: 1, failingPerBatch: 2 } };
    await withStubbedCycle(rings, async ({ handle, world }) => {
      const breached = await advanceUntil(env, handle, pendingGate('canary'));
      // The canary gate goes to the pilot approvers unless policy names its deciders.
      expect(breached.pending?.deciders).toEqual(['lead@msp.test']);
      expect(world.tickets).toMatchObject([{ status: 'open', summary: expect.stringContaining('canary gate breached') }]);
      await handle.executeUpdate(gateDecisionUpdate, { args: [{ ring: 'canary', decision: 'rollback', by: 'lead@msp.test', reason: 'installer broken' }] });
      const result = await handle.result();
      expect(result.status).toBe('rolled-back');
      expect(result.rings.map((r) => r.state)).toEqual(['rolled-back', 'pending', 'pending']);
      expect(world.tickets).toMatchObject([{ status: 'closed' }]);
      expect(world.tickets[0]?.notes.at(-1)).toBe('lead@msp.test decided rollback: installer broken');
      expect(world.batches.filter((b) => b.kind === 'rollback')).toEqual([{ ring: 'canary', batchIndex: 0, attempt: 1, kind: 'rollback' }]);
    });
  });

  it('ends rollback-incomplete, naming the hosts, with a ticket and mail, when the rescan still shows a patch', async () => {
    const rings = { ...SMALL, canary: { size: 2, batches: 1, failingPerBatch: 2 } };
    await withStubbedCycle(rings, async ({ handle, world }) => {
      world.stillPatched = [{ hostname: 'canary-0-1', detail: 'rescan still shows KB5044284 installed' }];
      world.installsInFlight = 2;
      await advanceUntil(env, handle, pendingGate('canary'));
      await handle.executeUpdate(gateDecisionUpdate, { args: [{ ring: 'canary', decision: 'rollback', by: 'lead@msp.test', reason: 'installer broken' }] });
      const result = await handle.result();
      expect(result.status).toBe('rollback-incomplete');
      expect(result.reason).toContain('canary-0-1');
      expect(result.notRolledBack).toEqual([{ ring: 'canary', hostname: 'canary-0-1', detail: 'rescan still shows KB5044284 installed' }]);
      expect(result.rings[0]?.state).toBe('rollback-failed');
      // Installs still in flight were waited for: the batch was asked again until they settled.
      expect(world.batches.filter((b) => b.kind === 'rollback')).toHaveLength(3);
      expect(world.tickets.find((t) => t.summary.includes('rollback incomplete'))).toMatchObject({ status: 'open' });
      const ended = world.notices.find((n) => n.subject.includes('rollback-incomplete'));
      expect(ended?.text).toContain('canary-0-1');
      const status = await handle.query(cycleStatusQuery);
      expect(status.phase).toBe('rollback-incomplete');
      expect(status.outcome?.notRolledBack?.map((a) => a.hostname)).toEqual(['canary-0-1']);
      expect(world.cycleStatuses.at(-1)).toMatchObject({ status: 'rollback-incomplete' });
    });
  });

  it('closes the gate ticket when a retry of the failed assets is decided, and carries on', async () => {
    const rings = { ...SMALL, canary: { size: 2, batches: 1, failingPerBatch: 1 } };
    await withStubbedCycle(rings, async ({ handle, world }) => {
      await advanceUntil(env, handle, pendingGate('canary'));
      await handle.executeUpdate(gateDecisionUpdate, { args: [{ ring: 'canary', decision: 'retry-failed', by: 'lead@msp.test', reason: 'transient' }] });
      const atPilot = await advanceUntil(env, handle, pendingPromotion('pilot'));
      expect(atPilot.rings[0]).toMatchObject({ state: 'passed', attempt: 2, failed: 0, verified: 2 });
      expect(world.tickets).toMatchObject([{ status: 'closed', notes: ['lead@msp.test decided retry-failed: transient'] }]);
      await handle.executeUpdate(abortUpdate, { args: [{ by: 'lead@msp.test', reason: 'test done' }] });
      await handle.result();
    });
  });

  it('lets the policy name who decides a ring gate', async () => {
    const rings = { ...SMALL, canary: { size: 2, batches: 1, failingPerBatch: 2 } };
    const configure = (policy: PatchPolicy) => {
      policy.rings.canary.gate = { deciders: ['gatekeeper@msp.test'] };
    };
    await withStubbedCycle(
      rings,
      async ({ handle, world }) => {
        const breached = await advanceUntil(env, handle, pendingGate('canary'));
        expect(breached.pending?.deciders).toEqual(['gatekeeper@msp.test']);
        const lead = handle.executeUpdate(gateDecisionUpdate, { args: [{ ring: 'canary', decision: 'override', by: 'lead@msp.test', reason: 'fine' }] });
        await expect(lead).rejects.toMatchObject({ cause: { type: 'NotAllowed', message: expect.stringContaining('not named in policy for the canary gate') } });
        await handle.executeUpdate(gateDecisionUpdate, { args: [{ ring: 'canary', decision: 'override', by: 'gatekeeper@msp.test', reason: 'known false alarm' }] });
        await advanceUntil(env, handle, pendingPromotion('pilot'));
        expect(world.tickets).toMatchObject([{ status: 'closed', notes: ['gatekeeper@msp.test decided override: known false alarm'] }]);
        await handle.executeUpdate(abortUpdate, { args: [{ by: 'lead@msp.test', reason: 'test done' }] });
        await handle.result();
      },
      configure,
    );
  });

  it('closes the gate ticket when nobody decides in time and rolls back', async () => {
    const rings = { ...SMALL, canary: { size: 2, batches: 1, failingPerBatch: 2 } };
    await withStubbedCycle(rings, async ({ handle, world }) => {
      await advanceUntil(env, handle, pendingGate('canary'));
      const result = await handle.result();
      expect(result.reason).toContain('no gate decision by');
      expect(world.tickets).toMatchObject([{ status: 'closed' }]);
      expect(world.tickets[0]?.notes.at(-1)).toMatch(/^No decision by .*: rolling back\.$/);
    });
  });

  it('rejects the pending promotion, refusing a rejection aimed at another ring', async () => {
    await withStubbedCycle(SMALL, async ({ handle, world }) => {
      await advanceUntil(env, handle, pendingPromotion('pilot'));
      const wrongRing = handle.executeUpdate(rejectPromotionUpdate, { args: [{ ring: 'production', approver: 'lead@msp.test', reason: 'no' }] });
      await expect(wrongRing).rejects.toMatchObject({ cause: { type: 'NotPending', message: 'the pending promotion is for pilot, not production' } });
      const accepted = await handle.executeUpdate(rejectPromotionUpdate, { args: [{ ring: 'pilot', approver: 'lead@msp.test', reason: 'vendor advisory' }] });
      expect(accepted).toEqual({ accepted: true, ring: 'pilot', next: 'rolling back' });
      const result = await handle.result();
      expect(result.reason).toBe('promotion to pilot rejected by lead@msp.test: vendor advisory');
      expect(result.rings.map((r) => r.state)).toEqual(['rolled-back', 'rejected', 'pending']);
      expect(world.cycleStatuses.at(-1)).toMatchObject({ status: 'rolled-back' });
    });
  });

  it('aborts while a promotion waits: the touched rings roll back and later aborts change nothing', async () => {
    await withStubbedCycle(SMALL, async ({ handle, world }) => {
      await advanceUntil(env, handle, pendingPromotion('pilot'));
      await handle.executeUpdate(abortUpdate, { args: [{ by: 'lead@msp.test', reason: 'vendor pulled the patch' }] });
      const again = handle.executeUpdate(abortUpdate, { args: [{ by: 'owner@clinic.test', reason: 'again' }] });
      await expect(again).rejects.toMatchObject({ cause: { type: 'NotPending', message: expect.stringContaining('already rolling back') } });
      const result = await handle.result();
      expect(result.reason).toBe('aborted by lead@msp.test: vendor pulled the patch');
      expect(result.decisions.filter((d) => d.kind === 'abort')).toHaveLength(1);
      expect(result.rings[0]?.state).toBe('rolled-back');
      expect(world.batches.filter((b) => b.kind === 'rollback').map((b) => b.ring)).toEqual(['canary']);
      const status = await handle.query(cycleStatusQuery);
      expect(status.phase).toBe('rolled-back');
    });
  });
});
