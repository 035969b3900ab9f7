import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/create-activities';
import type { DeployBatchResult } from '../../domain/cycle/batch';
import { ringWorkflowId } from '../../domain/ids';
import { ringRollout } from '../../workflows/cycle/ring-rollout';
import { TASK_QUEUE, createCycleHarness, createTestWorker, loadTestPolicy, startTimeSkipping, type CycleHarness } from '../support/cycle-harness';

let env: TestWorkflowEnvironment;
let harness: CycleHarness;
beforeAll(async () => {
  env = await startTimeSkipping();
  harness = await createCycleHarness(loadTestPolicy(), { clinic: 40 });
});
afterAll(async () => {
  await harness?.cleanup();
  await env?.teardown();
});

describe('ringRollout', () => {
  it('continues as new between batches and still counts every asset of the ring once', async () => {
    const cycleId = 'cycle/clinic/continue-as-new';
    const plan = await createActivities(harness.deps).planCycle({ cycleId, clientId: 'clinic', requestedBy: 'probe@msp.test', plannedAt: new Date().toISOString() });
    const production = plan.rings.find((r) => r.ring === 'production');
    expect(production?.batches).toBeGreaterThan(3);
    const worker = await createTestWorker(env, harness.deps);
    const workflowId = ringWorkflowId(cycleId, 'production');
    const result = await worker.runUntil(
      env.client.workflow.execute(ringRollout, {
        taskQueue: TASK_QUEUE,
        workflowId,
        args: [
          {
            cycleId,
            clientId: 'clinic',
            ring: 'production',
            attempt: 1,
            planned: production?.size ?? 0,
            batches: production?.batches ?? 0,
            timezone: plan.timezone,
            maintenanceWindows: plan.maintenanceWindows,
            workloadChecks: plan.workloadChecks,
            jobPollIntervalMs: 1000,
            batchesPerRun: 2,
          },
        ],
      }),
    );
    expect(result).toMatchObject({ planned: production?.size, verified: production?.size, failed: 0 });
    // One run per two batches: the chain of runs is what kept each history small.
    // Walk the chain back from the last run: each run's start event names the run it continued.
    const runs: string[] = [];
    let runId: string | undefined = (await env.client.workflow.getHandle(workflowId).describe()).runId;
    while (runId) {
      runs.push(runId);
      const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
      runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
    }
    expect(runs.length).toBe(Math.ceil((production?.batches ?? 0) / 2));
  });

  it('deployBatch submits nothing once the maintenance window it was given has closed', async () => {
    const cycleId = 'cycle/clinic/window-closed';
    const activities = createActivities(harness.deps);
    await activities.planCycle({ cycleId, clientId: 'clinic', requestedBy: 'probe@msp.test', plannedAt: new Date().toISOString() });
    const closed = new Date(Date.now() - 1000).toISOString();
    const ref = { cycleId, clientId: 'clinic', ring: 'canary' as const, batchIndex: 0, attempt: 1, submitBefore: closed };
    const result = (await new MockActivityEnvironment().run(activities.deployBatch, ref)) as DeployBatchResult;
    expect(result.submitted).toBe(0);
    expect(result.alreadySubmitted).toBe(0);
    expect(result.heldForWindow).toBeGreaterThanOrEqual(result.assets);
    expect(result.assets).toBeGreaterThan(0);
  });
});
