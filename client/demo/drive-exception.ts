import type { Client } from '@temporalio/client';
import { exceptionRequestFacts, type ExceptionRequest, type ExceptionStatus } from '../../domain/exception/exception';
import { exceptionWorkflowId } from '../../domain/ids';
import { exceptionStatusQuery } from '../../workflows/exception/messages';
import { patchException } from '../../workflows/exception/patch-exception';
import { exceptionDecisionUpdate, type ExceptionDecision, type Signer } from '../use-cases/decide';

/** Plays the client owner and the MSP approver for one exception until it is active; each signs. */
export async function driveException(
  client: Client,
  taskQueue: string,
  request: ExceptionRequest,
  people: { owner: string; approver: string },
  signerOf: (person: string) => Signer,
): Promise<ExceptionStatus> {
  const workflowId = exceptionWorkflowId(request.clientId, request.exceptionId);
  const signature = signerOf(request.requestedBy)(exceptionRequestFacts(workflowId, request));
  const handle = await client.workflow.start(patchException, { taskQueue, workflowId, workflowIdReusePolicy: 'REJECT_DUPLICATE', args: [{ ...request, signature }] });
  const decide = async (status: ExceptionStatus, d: ExceptionDecision) => {
    const { update, input } = exceptionDecisionUpdate({ ...status, workflowId }, d, signerOf(d.by));
    await handle.executeUpdate(update as never, { args: [input as never] });
  };
  for (let i = 0; i < 600; i++) {
    const status = await handle.query(exceptionStatusQuery);
    if (status.status === 'active' || status.status === 'rejected') return status;
    if (status.pending?.step === 'signoff' && !status.signedOffBy) {
      await decide(status, { kind: 'exception-signoff', by: people.owner, comment: 'demo: vendor has not certified the update' });
    } else if (status.pending?.step === 'approval' && !status.approvedBy) {
      await decide(status, { kind: 'exception-approve', by: people.approver, comment: 'demo: compensating controls checked' });
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`exception ${request.exceptionId} did not become active`);
}
