import { proxyActivities } from '@temporalio/workflow';
import type { PatchctlActivities } from '../../activities/create-activities';
import { quickActivity } from '../activity-options';

const { remindSoftwareListReview } = proxyActivities<PatchctlActivities>(quickActivity);

/** Started quarterly by the `software-list-review` Schedule: the MSP lead is reminded to review the software list. */
export async function softwareListReview(): Promise<{ mailed: boolean; to: string[] }> {
  return remindSoftwareListReview({ at: new Date().toISOString() });
}
