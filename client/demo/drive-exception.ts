import type { Client } from '@temporalio/client';
import type { ExceptionRequest, ExceptionStatus } from '../../domain/exception/exception';
import { exceptionWorkflowId } from '../../domain/ids';
import { approveExceptionUpdate, exceptionStatusQuery, signOffExceptionUpdate } from '../../workflows/exception/messages';
import { patchException } from '../../workflows/exception/patch-exception';

/** Plays the client owner and the MSP approver for one exception until it is active. */
export async function driveException(
  client: Client,
  taskQueue: string,
  request: ExceptionRequest,
  people: { owner: string; approver: string },
): Promise<ExceptionStatus> {
  const handle = await client.workflow.start(patchException, {
    taskQueue,
    workflowId: exceptionWorkflowId(request.clientId, request.exceptionId),
    args: [request],
  });
  for (let i = 0; i < 600; i++) {
    const status = await handle.query(exceptionStatusQuery);
    if (status.status === 'active' || status.status === 'rejected') return status;
    if (status.pending?.step === 'signoff' && !status.signedOffBy) {
      await handle.executeUpdate(signOffExceptionUpdate, { args: [{ by: people.owner, comment: 'demo: vendor has not certified the update' }] });
    } else if (status.pending?.step === 'approval' && !status.approvedBy) {
      await handle.executeUpdate(approveExceptionUpdate, { args: [{ by: people.approver, comment: 'demo: compensating controls checked' }] });
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`exception ${request.exceptionId} did not become active`);
}
