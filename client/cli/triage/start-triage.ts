import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { TriageAlert, TriageSource } from '../../../domain/triage/triage';
import { triageIdFor, triageWorkflowId } from '../../../domain/triage/triage-ids';
import { credentialTriage } from '../../../workflows/triage/credential-triage';

// Starting a triage, shared by `patchctl triage alert` and the webhook.

export interface StartedTriage {
  /** The printed id, CLIENT/ID. */
  ref: string;
  triageId: string;
  workflowId: string;
  /** True when this alert was already being (or has been) triaged: nothing new started. */
  duplicate: boolean;
}

/** Start options: the id is the alert's, and a closed triage's id is never reused for a second run. */
export function triageStartOptions(taskQueue: string, alert: TriageAlert, meta: { source: TriageSource; reportedBy: string }, receivedAt: Date) {
  const triageId = triageIdFor(alert, receivedAt);
  return {
    taskQueue,
    workflowId: triageWorkflowId(alert.clientId, triageId),
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    args: [{ ...alert, triageId, ...meta }] as [Parameters<typeof credentialTriage>[0]],
  };
}

export async function startTriage(temporal: Client, taskQueue: string, alert: TriageAlert, meta: { source: TriageSource; reportedBy: string }, receivedAt = new Date()): Promise<StartedTriage> {
  const options = triageStartOptions(taskQueue, alert, meta, receivedAt);
  const triageId = options.args[0].triageId;
  const started = { ref: `${alert.clientId}/${triageId}`, triageId, workflowId: options.workflowId };
  try {
    await temporal.workflow.start(credentialTriage, options);
    return { ...started, duplicate: false };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { ...started, duplicate: true };
    throw error;
  }
}
