import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { PatchctlActivities } from '../../activities/create-activities';
import type { RestoreDrillOutcome } from '../../activities/discovery/restore-drill-activities';
import { quickActivity } from '../activity-options';

// A clone and boot on a hypervisor takes minutes; the activity heartbeats meanwhile.
const { runRestoreDrill } = proxyActivities<PatchctlActivities>({ ...quickActivity, startToCloseTimeout: '1h', heartbeatTimeout: '1m' });

/** Started by the client's `restore-drill-<client>` Schedule: test-restore one critical system, keep the result as evidence. */
export async function restoreDrill(input: { clientId: string }): Promise<RestoreDrillOutcome> {
  return runRestoreDrill({ clientId: input.clientId, runKey: workflowInfo().workflowId, at: new Date().toISOString() });
}
