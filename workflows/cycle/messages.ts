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
  signature?: ApprovalSignature;
}

export interface AbortInput {
  reason: string;
  by: string;
  signature?: ApprovalSignature;
}

export interface PauseInput {
  by: string;
  reason?: string;
  signature?: ApprovalSignature;
}

/** What an accepted abort, incident, pause or resume answers. */
export interface ControlAccepted {
  accepted: true;
  /** What the cycle does now, e.g. "rolling back" or "paused". */
  next: string;
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
/** abort, incident, pause and resume: validated updates naming (and signed by) their operator. */
export const incidentUpdate = defineUpdate<ControlAccepted, [IncidentInput]>('reportIncident');
export const abortUpdate = defineUpdate<ControlAccepted, [AbortInput]>('abortCycle');
export const pauseUpdate = defineUpdate<ControlAccepted, [PauseInput]>('pause');
export const resumeUpdate = defineUpdate<ControlAccepted, [PauseInput]>('resume');
/** The cycle → its running ring child (same names as the updates people send to the cycle). */
export const pauseSignal = defineSignal<[PauseInput]>('pause');
export const resumeSignal = defineSignal<[PauseInput]>('resume');
export const cycleStatusQuery = defineQuery<CycleStatus>(CYCLE_STATUS_QUERY);
export const ringProgressQuery = defineQuery<RingRolloutProgress>(RING_PROGRESS_QUERY);
/** Ring child → its cycle: live counts after a batch and the window it waits for, so the cycle's status tells the truth mid-ring. */
export const ringReportSignal = defineSignal<[RingRolloutProgress]>('ringProgressReport');
