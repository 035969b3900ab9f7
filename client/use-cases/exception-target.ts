import type { Client, WorkflowHandle } from '@temporalio/client';
import type { ExceptionState, ExceptionStatus } from '../../domain/exception/exception';
import { parseExceptionRef } from '../../domain/ids';
import { exceptionStatusQuery } from '../../workflows/exception/messages';
import { resolveTemporalTarget, withClient } from '../connection/temporal-connection';
import { badInput } from '../errors';

export interface ExceptionRef {
  workflowId: string;
  clientId: string;
  exceptionId: string;
  /** How it is printed and typed: `CLIENT/ID`. */
  ref: string;
}

/** An exception id as users type it (`acme-dental/acme-dental-20261129-1a2b3c4` or `exception/...`). */
export function exceptionRefFrom(ref: string): ExceptionRef {
  const parsed = parseExceptionRef(ref);
  if (!parsed) {
    throw badInput(`"${ref}" is not an exception id`, 'exception ids look like CLIENT/ID, e.g. acme-dental/acme-dental-20261129-1a2b3c4; see `patchctl exception list`');
  }
  return { ...parsed, ref: `${parsed.clientId}/${parsed.exceptionId}` };
}

export async function withException<T>(ref: string, fn: (handle: WorkflowHandle, client: Client, target: ExceptionRef) => Promise<T>): Promise<T> {
  const parsed = exceptionRefFrom(ref);
  return withClient(resolveTemporalTarget(), (client) => fn(client.workflow.getHandle(parsed.workflowId), client, parsed));
}

const ENDED: readonly ExceptionState[] = ['expired', 'revoked', 'rejected'];

export function exceptionEnded(status: ExceptionStatus): boolean {
  return ENDED.includes(status.status);
}

/**
 * Polls the live status until `done` holds, the workflow closes, or `timeoutMs` passes: what an
 * update changed shows up after the workflow's next task, a moment after the update returns.
 */
export async function settledStatus(handle: WorkflowHandle, done: (s: ExceptionStatus) => boolean, timeoutMs = 10_000): Promise<ExceptionStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await handle.query(exceptionStatusQuery);
    if (done(status) || exceptionEnded(status) || Date.now() >= deadline) return status;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
