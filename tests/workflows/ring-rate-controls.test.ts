import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PatchPolicy } from '../../config/policy-schema';
import type { CycleStatus } from '../../domain/cycle/cycle-status';
import { cycleWorkflowId } from '../../domain/ids';
import { abortSignal, gateDecisionUpdate } from '../../workflows/cycle/messages';
import { patchCycle } from '../../workflows/cycle/patch-cycle';
import { TASK_QUEUE, advanceUntil, loadTestPolicy, startTimeSkipping } from '../support/cycle-harness';
import { stubWorker, stubWorld, type StubWorld } from './stub-activities';

// Rate controls of a ring on the time-skipping server with in-memory activities: batches overlap up
// to maxConcurrency, and past maxErrors failures nothing new is submitted.

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

let counter = 0;
async function withProductionRing<T>(
  production: NonNullable<StubWorld['rings']['production']>,
  configure: (policy: PatchPolicy) => void,
  body: (ctx: { handle: Awaited<ReturnType<typeof env.client.workflow.start<typeof patchCycle>>>; world: StubWorld }) => Promise<T>,
): Promise<T> {
  const policy = loadTestPolicy();
  policy.rings.production.promotion.requiresApproval = false;
  policy.rollout.batchSize = Math.ceil(production.size / production.batches);
  configure(policy);
  const world = stubWorld(policy, { production });
  const worker = await stubWorker(env, world);
  return worker.runUntil(async () => {
    const cycleName = `rate-${++counter}`;
    const handle = await env.client.workflow.start(patchCycle, {
      taskQueue: TASK_QUEUE,
      workflowId: cycleWorkflowId('clinic', cycleName),
      args: [{ clientId: 'clinic', cycleName, requestedBy: 'starter@msp.test' }],
    });
    return body({ handle, world });
  });
}

const pendingGate = (s: CycleStatus) => s.pending?.kind === 'gate' && s.pending.ring === 'production';
const deployedBatches = (world: StubWorld) => world.batches.filter((b) => b.ring === 'production' && b.kind === 'deploy').length;

describe('ring rate controls', () => {
  it('keeps up to maxConcurrency assets in flight at once: batches overlap', async () => {
    await withProductionRing({ size: 400, batches: 8 }, (p) => (p.rings.production.maxConcurrency = 200), async ({ handle, world }) => {
      const result = await handle.result();
      expect(result.status).toBe('completed');
      expect(result.rings[2]).toMatchObject({ state: 'passed', verified: 400, failed: 0 });
      // 200 assets in flight = 4 batches of 50, never more.
      expect(world.peakInFlight.production).toBe(4);
      expect(deployedBatches(world)).toBe(8);
    });
  });

  it('trips the breaker past maxErrors: in-flight batches finish, nothing new is submitted, the gate decides with the counts so far', async () => {
    const configure = (p: PatchPolicy) => Object.assign(p.rings.production, { maxConcurrency: 200, maxErrors: 100 });
    await withProductionRing({ size: 1000, batches: 20, failingPerBatch: 50 }, configure, async ({ handle, world }) => {
      const status = await advanceUntil(env, handle, pendingGate, '10m');
      // The ring received at most maxErrors + maxConcurrency assets before it stopped.
      expect(deployedBatches(world) * 50).toBeLessThanOrEqual(100 + 200);
      expect(status.rings[2]?.failed).toBe(deployedBatches(world) * 50);
      expect(status.rings[2]?.rate).toMatchObject({ breaker: 'tripped', inFlight: 0, maxErrors: 100, maxConcurrency: 200 });
      expect(status.pending?.reason).toMatch(/production stopped submitting: breaker tripped: \d+ failures passed maxErrors 100/);
      expect(world.tickets).toHaveLength(1);

      // An override deploys the rest of the ring without the breaker.
      await handle.executeUpdate(gateDecisionUpdate, { args: [{ ring: 'production', decision: 'override', by: 'lead@msp.test', reason: 'known bad detection, deploy the rest' }] });
      const again = await advanceUntil(env, handle, (s) => pendingGate(s) && s.rings[2]?.failed === 1000, '10m');
      expect(deployedBatches(world)).toBe(20);
      expect(again.rings[2]?.rate?.breaker).toBe('overridden');
      await handle.signal(abortSignal, { by: 'lead@msp.test', reason: 'test done' });
      expect((await handle.result()).status).toBe('rolled-back');
    });
  });

  it('by default stops a ring that fails everywhere once the gate threshold is certain to breach', async () => {
    // Threshold 0.1 of 1000 → breaker at 100 failures; default concurrency 10 % → 100 assets in flight.
    await withProductionRing({ size: 1000, batches: 20, failingPerBatch: 50 }, () => undefined, async ({ handle, world }) => {
      const status = await advanceUntil(env, handle, pendingGate, '10m');
      expect(deployedBatches(world) * 50).toBeLessThanOrEqual(100 + 100);
      expect(status.rings[2]?.rate?.breaker).toBe('tripped');
      await handle.signal(abortSignal, { by: 'lead@msp.test', reason: 'test done' });
      await handle.result();
    });
  });
});
