import { proxyActivities } from '@temporalio/workflow';
import type { PatchctlActivities } from '../../activities/create-activities';
import type { PatchingNoticeSweep } from '../../activities/notices/patching-notices';
import { quickActivity } from '../activity-options';

const { sendPatchingNotices } = proxyActivities<PatchctlActivities>(quickActivity);

/**
 * Started hourly by the `patching-notices` Schedule: mails each client's named contact before a ring
 * with their assets is patched (`clients[].notices.beforePatching`). Beside the cycles, never in them.
 */
export async function patchingNotices(input: { at?: string } = {}): Promise<PatchingNoticeSweep> {
  return sendPatchingNotices({ at: input.at ?? new Date().toISOString() });
}
