import { executeChild, proxyActivities } from '@temporalio/workflow';

// The floor: the same number of workflows and activities as a cycle, each doing nothing.

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '1m' });

export async function floorRing(activities: number): Promise<void> {
  for (let i = 0; i < activities; i++) await noop();
}

export async function floorCycle(input: { ringActivities: number[]; parentActivities: number }): Promise<void> {
  for (let i = 0; i < input.parentActivities; i++) await noop();
  for (const [i, activities] of input.ringActivities.entries()) {
    await executeChild(floorRing, { args: [activities], workflowId: `floor-${input.ringActivities.join('-')}-${i}-${Date.now()}` });
  }
}
