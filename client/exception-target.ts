import type { Client, WorkflowHandle } from '@temporalio/client';
import { z } from 'zod';
import { parseDuration } from '../config/duration';
import { loadPolicy } from '../config/load-policy';
import { exceptionEnd, isExceptionEnded, type ExceptionStatus } from '../domain/exception';
import { parseExceptionRef } from '../domain/ids';
import { exceptionStatusQuery } from '../workflows/exception/messages';
import { badInput } from './errors';
import { resolveTemporalTarget } from './stack';
import { withClient } from './temporal-connection';

export interface ExceptionRef {
  workflowId: string;
  clientId: string;
  exceptionId: string;
  /** How users type it: `CLIENT/ID`. */
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
  const target = resolveTemporalTarget();
  return withClient(target, (client) => fn(client.workflow.getHandle(parsed.workflowId), client, parsed));
}

export const DATE_HELP = 'a date (2026-12-31, 00:00 UTC), an ISO time (2026-12-31T18:00:00Z) or a time from now (30d, 12h)';

/**
 * `--expires`, `--review`, `--until`: an absolute date or time, or a duration counted from now. The
 * result is an ISO time; whether it is within the policy's bounds is the domain rules' call.
 */
export function dateOption(now: () => number = Date.now) {
  return z.string().transform((text, ctx) => {
    const relative = parseDuration(text);
    if (relative !== undefined) return new Date(now() + relative).toISOString();
    const absolute = /^\d{4}-\d{2}-\d{2}(T.+)?$/.test(text.trim()) ? Date.parse(text.trim()) : Number.NaN;
    if (Number.isNaN(absolute)) {
      ctx.addIssue({ code: 'custom', message: `must be ${DATE_HELP}` });
      return z.NEVER;
    }
    return new Date(absolute).toISOString();
  });
}

/** The policy the worker also judges by; an invalid one stops the command (exit 2) with its problems. */
export { loadPolicy };

export function exceptionEnded(status: ExceptionStatus): boolean {
  return isExceptionEnded(status.status);
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

export { exceptionEnd };

/** One line telling the user what happens next and, when someone must act, the command to run. */
export function nextStep(ref: string, s: ExceptionStatus): string {
  if (s.pending?.step === 'signoff') {
    return `next: the client owner ${s.pending.who.join(', ')} signs off by ${s.pending.decideBy}: patchctl exception signoff ${ref} --as ${s.pending.who[0] ?? '<owner>'}`;
  }
  if (s.pending?.step === 'approval') {
    return `next: an MSP approver (${s.pending.who.join(', ') || 'nobody named in policy'}) approves by ${s.pending.decideBy}: patchctl exception approve ${ref} --as <approver>`;
  }
  const end = exceptionEnd(s);
  switch (s.status) {
    case 'active':
      return `active: ${s.hostnames.join(', ')} stay out of patch cycles until ${end ?? '?'}${s.kind === 'isolated-lane' ? ' (review date)' : ' (hard expiry)'}`;
    case 'renewal-pending':
      return `renewal pending; the current ${s.kind === 'deferral' ? 'expiry' : 'review date'} ${end ?? '?'} still holds`;
    case 'review-due':
      return `review due: renew it with \`patchctl exception renew ${ref} --until DATE --reason TEXT --as WHO\` or it expires`;
    case 'expired':
    case 'revoked':
    case 'rejected':
      return `${s.status}: ${s.statusReason ?? ''}`.trim();
    default:
      return 'waiting for the worker to open the ticket; see `patchctl exception show ' + ref + '`';
  }
}
