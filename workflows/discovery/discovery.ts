import { proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { PatchctlActivities } from '../../activities/create-activities';
import type { DiscoveryRunResult } from '../../activities/discovery/discovery-activities';
import { quickActivity } from '../activity-options';
import { discoveryStageQuery, type DiscoveryStage } from './messages';

// Reconciling 10,000 devices and their software is one activity: longer than a quick call, kept alive by heartbeats.
const { discoverClientInventory } = proxyActivities<PatchctlActivities>({ ...quickActivity, startToCloseTimeout: '15m', heartbeatTimeout: '1m' });
const { openDiscoveryTicket } = proxyActivities<PatchctlActivities>(quickActivity);

export interface DiscoveryWorkflowInput {
  clientId: string;
}

export interface DiscoveryWorkflowResult extends DiscoveryRunResult {
  ticketId: string | null;
}

/**
 * Started by the client's `discovery-<client>` Schedule (or `inventory discover`): the RMM's device
 * and software lists and the scan files reconcile the inventory, then the devices a person must
 * classify get one PSA ticket. The workflow id is the run key, so a retried run records nothing twice.
 */
export async function discovery(input: DiscoveryWorkflowInput): Promise<DiscoveryWorkflowResult> {
  let stage: DiscoveryStage = 'reconciling';
  setHandler(discoveryStageQuery, () => stage);
  const runKey = workflowInfo().workflowId;
  const run = await discoverClientInventory({ clientId: input.clientId, runKey, at: new Date().toISOString() });
  let ticketId: string | null = null;
  if (run.needsTicket) {
    stage = 'ticketing';
    ({ ticketId } = await openDiscoveryTicket({ clientId: input.clientId, runKey }));
  }
  stage = 'done';
  return { ...run, ticketId };
}
