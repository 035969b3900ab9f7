import { proxyActivities } from '@temporalio/workflow';
import type { PatchctlActivities } from '../../../activities/create-activities';
import type { BatchRef, JobPollResult } from '../../../domain/cycle/batch';

// One batch activity under a heartbeat timeout far shorter than the vendor's answer: without
// heartbeats during the call, Temporal would time the attempt out and start another beside it.
const { pollBatchJobs } = proxyActivities<PatchctlActivities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: '2s',
  retry: { initialInterval: '100ms', maximumAttempts: 3 },
});

export async function pollUnderShortHeartbeat(ref: BatchRef): Promise<JobPollResult> {
  return pollBatchJobs({ ...ref, kind: 'deploy' });
}
