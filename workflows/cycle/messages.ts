import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RingName } from '../../config/policy-schema';
import type { ApprovalSignature } from '../../domain/approval-signature';
import { CYCLE_STATUS_QUERY, RING_PROGRESS_QUERY, type CycleStatus, type GateDecision, type RingRolloutProgress } from '../../domain/cycle/cycle-status';

// Every message patchCycle and its ring children accept. Wire names are stable camelCase: renaming
// one breaks running cycles and the CLI of everyone who has not upgraded yet.

export interface ApproveRingInput {
  ring: RingName;
  approver: string;
  comment?: string;
  /** Required where policy says `signing.requireSignedApprovals`. */
  signature?: ApprovalSignature;
}

export interface RejectPromotionInput {
  /** The ring whose promotion is rejected; when given it must be the pending one. */
  ring?: RingName;
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
/** Sent by people to the cycle, and by the cycle on to its running ring. */
export const pauseSignal = defineSignal<[PauseInput]>('pause');
export const resumeSignal = defineSignal<[PauseInput]>('resume');
export const cycleStatusQuery = defineQuery<CycleStatus>(CYCLE_STATUS_QUERY);
export const ringProgressQuery = defineQuery<RingRolloutProgress>(RING_PROGRESS_QUERY);
/** Ring child → its cycle: live counts after a batch and the window it waits for, so the cycle's status tells the truth mid-ring. */
export const ringReportSignal = defineSignal<[RingRolloutProgress]>('ringProgressReport');
