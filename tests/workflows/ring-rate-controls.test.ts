import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PatchPolicy } from '../../config/policy-schema';
import type { CycleStatus } from '../../domain/cycle/cycle-status';
import { cycleWorkflowId } from '../../domain/ids';
import { ringWorkflowId } from '../../domain/ids';
import { abortUpdate, gateDecisionUpdate } from '../../workflows/cycle/messages';
import { patchCycle } from '../../workflows/cycle/patch-cycle';
import { TASK_QUEUE, advanceUntil, loadTestPolicy, startTimeSkipping } from '../support/cycle-harness';
import { stubWorker, stubWorld, type StubWorld } from './stub-activities';

// Rate controls and outage limits of a ring on the time-skipping server with in-memory activities:
// batches overlap up to maxConcurrency, past maxErrors failures nothing new is submitted, an RMM
// outage halts the ring for a person instead of spinning, and a stuck job has a deadline.

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
  configure: (policy: PatchPolicy, world: StubWorld) => void,
  body: (ctx: { handle: Awaited<ReturnType<typeof env.client.workflow.start<typeof patchCycle>>>; world: StubWorld }) => Promise<T>,
): Promise<T> {
  const policy = loadTestPolicy();
  policy.rings.production.promotion.requiresApproval = false;
  policy.rollout.batchSize = Math.ceil(production.size / production.batches);
  const world = stubWorld(policy, { production });
  configure(policy, world);
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
      await handle.executeUpdate(abortUpdate, { args: [{ by: 'lead@msp.test', reason: 'test done' }] });
      expect((await handle.result()).status).toBe('rolled-back');
    });
  });

  it('by default stops a ring that fails everywhere once the gate threshold is certain to breach', async () => {
    // Threshold 0.1 of 1000 → breaker at 100 failures; default concurrency 10 % → 100 assets in flight.
    await withProductionRing({ size: 1000, batches: 20, failingPerBatch: 50 }, () => undefined, async ({ handle, world }) => {
      const status = await advanceUntil(env, handle, pendingGate, '10m');
      expect(deployedBatches(world) * 50).toBeLessThanOrEqual(100 + 100);
      expect(status.rings[2]?.rate?.breaker).toBe('tripped');
      await handle.executeUpdate(abortUpdate, { args: [{ by: 'lead@msp.test', reason: 'test done' }] });
      await handle.result();
    });
  });
});

async function runChain(workflowId: string): Promise<number[]> {
  const lengths: number[] = [];
  let runId: string | undefined = (await env.client.workflow.getHandle(workflowId).describe()).runId;
  while (runId) {
    const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
    lengths.unshift(history.events?.length ?? 0);
    runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return lengths;
}

describe('outages and stuck jobs', () => {
  it('an RMM down for days halts the ring into a gate decision with a ticket, and nothing is submitted after the window closes', async () => {
    const down = (_p: PatchPolicy, world: StubWorld) => void (world.rmmDown = true);
    await withProductionRing({ size: 200, batches: 4 }, down, async ({ handle, world }) => {
      const status = await advanceUntil(env, handle, pendingGate, '10m');
      expect(status.pending?.reason).toMatch(/production stopped submitting: the RMM failed 3 times in a row/);
      expect(status.rings[2]?.rate).toMatchObject({ vendorFailures: 3, breaker: 'closed' });
      expect(world.tickets).toHaveLength(1);
      expect(deployedBatches(world)).toBe(0);
      // A person is told after three outage rounds of at most an hour each, with a pause between them.
      const toldAfterMs = Date.parse(status.pending?.since ?? '') - Date.parse(status.startedAt);
      expect(toldAfterMs).toBeLessThanOrEqual(3 * 3_600_000 + 3 * 300_000 + 60_000);
      // Every attempt the server scheduled was inside the window the workflow gave it.
      expect(world.submitCalls.length).toBeGreaterThan(3);
      expect(world.submitCalls.filter((c) => !c.submitBefore || c.at >= Date.parse(c.submitBefore))).toEqual([]);

      // The RMM is back: an override tries it again and the ring deploys.
      world.rmmDown = false;
      await handle.executeUpdate(gateDecisionUpdate, { args: [{ ring: 'production', decision: 'override', by: 'lead@msp.test', reason: 'RMM is back' }] });
      const result = await handle.result();
      expect(result.status).toBe('completed');
      expect(result.rings[2]).toMatchObject({ state: 'passed', verified: 200, failed: 0 });
    });
  });

  it('a job stuck running counts as failed after rollout.jobDeadline; polling continues as new and every history stays small', async () => {
    const stuck = (p: PatchPolicy, world: StubWorld) => {
      p.rollout.jobDeadline = 4 * 3_600_000;
      world.stuckJob = { ring: 'production', batchIndex: 0 };
    };
    await withProductionRing({ size: 100, batches: 2 }, stuck, async ({ handle }) => {
      const result = await handle.result();
      expect(result.status).toBe('completed');
      expect(result.rings[2]).toMatchObject({ state: 'passed', verified: 99, failed: 1 });
      expect(result.rings[2]?.rate?.jobsPastDeadline).toBe(1);
      // 480 polls at 30 s: the ring continued as new instead of growing one history.
      const ringRuns = await runChain(ringWorkflowId(handle.workflowId, 'production'));
      expect(ringRuns.length).toBeGreaterThan(1);
      for (const events of ringRuns) expect(events).toBeLessThan(4_000);
      // The cycle heard nothing from a ring whose counts did not change.
      const cycleEvents = (await handle.fetchHistory()).events?.length ?? 0;
      expect(cycleEvents).toBeLessThan(200);
    });
  });
});
