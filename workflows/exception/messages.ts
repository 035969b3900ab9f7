import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ApprovalSignature } from '../../domain/approval-signature';
import { EXCEPTION_STATUS_QUERY, type ExceptionState, type ExceptionStatus } from '../../domain/exception/exception';

// Every message patchException accepts. Wire names are stable camelCase: renaming one breaks running
// exceptions and the CLI of everyone who has not upgraded yet.

export interface ExceptionDecisionInput {
  by: string;
  comment?: string;
  signature?: ApprovalSignature;
}

export interface RenewExceptionInput {
  by: string;
  /** New expiry (deferral) or review date (isolated lane), ISO time. */
  until: string;
  reason: string;
  signature?: ApprovalSignature;
}

export interface RevokeExceptionInput {
  by: string;
  reason: string;
  signature?: ApprovalSignature;
}

export interface ExceptionAccepted {
  accepted: true;
  status: ExceptionState;
}

export const signOffExceptionUpdate = defineUpdate<ExceptionAccepted, [ExceptionDecisionInput]>('signOffException');
export const approveExceptionUpdate = defineUpdate<ExceptionAccepted, [ExceptionDecisionInput]>('approveException');
export const renewExceptionUpdate = defineUpdate<ExceptionAccepted, [RenewExceptionInput]>('renewException');
export const revokeExceptionUpdate = defineUpdate<ExceptionAccepted, [RevokeExceptionInput]>('revokeException');
export const exceptionStatusQuery = defineQuery<ExceptionStatus>(EXCEPTION_STATUS_QUERY);
