import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RingName } from '../config/policy-schema';
import type { ApprovalSignature } from '../domain/approval-signature';
import type { CycleStatus, GateDecision, RingRolloutProgress } from '../domain/cycle-status';
import type { ExceptionState, ExceptionStatus } from '../domain/exception';

// Every message patchctl workflows accept. Wire names are stable camelCase: renaming one breaks
// running cycles and the CLI of everyone who has not upgraded yet.

export interface ApproveRingInput {
  ring: RingName;
  approver: string;
  comment?: string;
  /** Required where policy says `signing.requireSignedApprovals`. */
  signature?: ApprovalSignature;
}

export interface RejectPromotionInput {
  approver: string;
  reason: string;
  signature?: ApprovalSignature;
}

export interface GateDecisionInput {
  ring: RingName;
  decision: GateDecision;
  by: string;
  reason: string;
  signature?: ApprovalSignature;
}

export interface IncidentInput {
  summary: string;
  reportedBy: string;
}

export interface AbortInput {
  reason: string;
  by: string;
}

export interface PauseInput {
  by: string;
  reason?: string;
}

/** What an accepted decision update answers: where the cycle goes next. */
export interface DecisionAccepted {
  accepted: true;
  ring: RingName;
  next: string;
}

export const approveRingUpdate = defineUpdate<DecisionAccepted, [ApproveRingInput]>('approveRing');
export const rejectPromotionUpdate = defineUpdate<DecisionAccepted, [RejectPromotionInput]>('rejectPromotion');
export const gateDecisionUpdate = defineUpdate<DecisionAccepted, [GateDecisionInput]>('decideGate');
export const incidentSignal = defineSignal<[IncidentInput]>('reportIncident');
export const abortSignal = defineSignal<[AbortInput]>('abortCycle');
export const pauseSignal = defineSignal<[PauseInput]>('pause');
export const resumeSignal = defineSignal<[PauseInput]>('resume');
export const cycleStatusQuery = defineQuery<CycleStatus>('cycleStatus');
export const ringProgressQuery = defineQuery<RingRolloutProgress>('ringProgress');


// Exceptions (workflow patchException).

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
}

export interface RevokeExceptionInput {
  by: string;
  reason: string;
}

export interface ExceptionAccepted {
  accepted: true;
  status: ExceptionState;
}

export const signOffExceptionUpdate = defineUpdate<ExceptionAccepted, [ExceptionDecisionInput]>('signOffException');
export const approveExceptionUpdate = defineUpdate<ExceptionAccepted, [ExceptionDecisionInput]>('approveException');
export const renewExceptionUpdate = defineUpdate<ExceptionAccepted, [RenewExceptionInput]>('renewException');
export const revokeExceptionUpdate = defineUpdate<ExceptionAccepted, [RevokeExceptionInput]>('revokeException');
export const exceptionStatusQuery = defineQuery<ExceptionStatus>('exceptionStatus');
