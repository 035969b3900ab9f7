import { proxyActivities } from '@temporalio/workflow';
import type { PatchctlActivities } from '../../activities/create-activities';
import { quickActivity } from '../activity-options';

const { listReportClients, alertSlaBreaches } = proxyActivities<PatchctlActivities>(quickActivity);

/** Started daily by the `sla-alerts` Schedule: lists each client's missed SLA deadlines and escalates them. */
export async function slaAlerts(input: { at?: string } = {}): Promise<{ at: string; clients: { clientId: string; breaches: number; mailed: boolean }[] }> {
  const at = input.at ?? new Date().toISOString();
  const clients = [];
  for (const clientId of await listReportClients()) clients.push(await alertSlaBreaches({ clientId, at }));
  return { at, clients };
}
