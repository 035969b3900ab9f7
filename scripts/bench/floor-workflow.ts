import { executeChild, proxyActivities, sleep } from '@temporalio/workflow';

// The floor: the same number of workflows, activities and soak timers as a cycle, each doing nothing.

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '1m' });

export async function floorRing(activities: number): Promise<void> {
  for (let i = 0; i < activities; i++) await noop();
}

export async function floorCycle(input: { name: string; ringActivities: number[]; parentActivities: number; soakMs: number }): Promise<void> {
  for (let i = 0; i < input.parentActivities; i++) await noop();
  for (const [i, activities] of input.ringActivities.entries()) {
    await executeChild(floorRing, { args: [activities], workflowId: `${input.name}-ring-${i}` });
    await sleep(input.soakMs);
  }
}
