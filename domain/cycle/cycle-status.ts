import type { AssetClass, RingName, Severity } from '../../config/policy-schema';
import type { RecordedSignature } from '../approval-signature';
import type { BreakerState } from './rate-controls';

export type CyclePhase =
  | 'planning'
  | 'awaiting-approval'
  | 'awaiting-window'
  | 'deploying'
  | 'awaiting-decision'
  | 'soaking'
  | 'rolling-back'
  | 'completed'
  | 'rolled-back'
  | 'rollback-incomplete';

export type RingState =
  | 'pending'
  | 'skipped'
  | 'awaiting-approval'
  | 'rejected'
  | 'awaiting-window'
  | 'deploying'
  | 'gate-breached'
  | 'soaking'
  | 'passed'
  | 'rolling-back'
  | 'rolled-back'
  | 'rollback-failed';

export interface RingCounts {
  planned: number;
  deployed: number;
  verified: number;
  failed: number;
}

export interface RingProgress extends RingCounts {
  ring: RingName;
  state: RingState;
  /** Child workflow of the current attempt, for `cycle status` to ask about live batch progress. */
  workflowId?: string;
  attempt: number;
  batches: number;
  failureRate: number;
  threshold: number;
  soakUntil?: string;
  /** While the ring waits for its maintenance window (state `awaiting-window`): when it opens. */
  windowOpensAt?: string;
  /** Rate controls of the running attempt, and what they see (see RingRateView). */
  rate?: RingRateView;
  startedAt?: string;
  endedAt?: string;
}

export type GateDecision = 'rollback' | 'retry-failed' | 'override';

export interface PendingDecision {
  kind: 'promotion' | 'gate';
  ring: RingName;
  /** Who may give this decision (the person who started the cycle is never among them). */
  deciders: string[];
  since: string;
  reason?: string;
  /** When the cycle rolls back by itself if nobody decides (gate decisions only). */
  decideBy?: string;
  /** Issued by the cycle when this decision became pending; the signature binds it, and it is taken once. */
  decisionId: string;
}

/** What an operator signs for abort, incident, pause or resume: renewed after each accepted one. */
export interface ControlDecision {
  decisionId: string;
  since: string;
}

/** Who decided what, when: the audit trail that `evidence export` lifts out of history. */
export interface DecisionRecord {
  kind: 'start' | 'approval' | 'rejection' | 'gate-decision' | 'timeout' | 'abort' | 'incident' | 'pause' | 'resume';
  ring?: RingName;
  by: string;
  at: string;
  decision?: string;
  reason?: string;
  /** The signer's Ed25519 signature and the exact message signed (canonical JSON), checkable offline. */
  signature?: RecordedSignature;
}

export interface DeadlineGroup {
  assetClass: AssetClass;
  severity: Severity;
  assets: number;
  deadline: string;
  atRisk: boolean;
}

export interface ExcludedAsset {
  hostname: string;
  reason: string;
  exceptionId?: string;
}

/**
 * `rolled-back` only when a rescan proved every touched asset clean; `rollback-incomplete` when some
 * still show a patch (or could not be checked): they are listed, ticketed and mailed.
 */
export type CycleOutcome = 'completed' | 'rolled-back' | 'rollback-incomplete';

/** The phases a cycle ends in: nothing changes after them. */
const ENDED_CYCLE_PHASES: readonly CyclePhase[] = ['completed', 'rolled-back', 'rollback-incomplete'];

/** An asset a rollback could not prove clean, and why. */
export interface UnrolledAsset {
  ring: RingName;
  hostname: string;
  detail: string;
}

export function isCycleEnded(phase: CyclePhase): boolean {
  return ENDED_CYCLE_PHASES.includes(phase);
}

export interface CycleStatus {
  cycleId: string;
  clientId: string;
  requestedBy: string;
  /** The first-execution run id, which every signature on this cycle binds. */
  runId?: string;
  /** The id to sign for abort, incident, pause and resume right now. */
  control?: ControlDecision;
  phase: CyclePhase;
  paused: boolean;
  startedAt: string;
  rings: RingProgress[];
  pending?: PendingDecision;
  deadlines: DeadlineGroup[];
  excluded: ExcludedAsset[];
  excludedCount: number;
  patches: number;
  decisions: DecisionRecord[];
  outcome?: { status: CycleOutcome; reason: string; endedAt: string; notRolledBack?: UnrolledAsset[] };
}

/** What `patchCycle` returns; `cycle status` answers a closed cycle from it. */
export interface PatchCycleResult {
  cycleId: string;
  status: CycleOutcome;
  reason: string;
  rings: RingProgress[];
  /** Assets the plan left out (exception or isolated lane), first EXCLUDED_LIST_LIMIT of them. */
  excluded: ExcludedAsset[];
  decisions: DecisionRecord[];
  /** With `rollback-incomplete`: the assets still patched (a sample of each ring's, at most 50 per ring). */
  notRolledBack?: UnrolledAsset[];
}

/**
 * Wire names of the queries, for readers that must not import workflows/ (evidence builders in
 * activities/): `handle.query<CycleStatus>(CYCLE_STATUS_QUERY)`. workflows/cycle/messages.ts defines
 * the queries with these names.
 */
export const CYCLE_STATUS_QUERY = 'cycleStatus';
export const RING_PROGRESS_QUERY = 'ringProgress';

/** What a ring's rate controls see: assets in flight, the breaker, and vendor outages counted. */
export interface RingRateView {
  /** Assets whose batch has started and not yet been verified. */
  inFlight: number;
  maxConcurrency: number;
  maxErrors: number;
  breaker: BreakerState;
  /** Batch calls that exhausted their retries (an RMM outage); at `maxVendorFailures` the ring halts. */
  vendorFailures: number;
  /** Jobs that passed `rollout.jobDeadline` unfinished and were counted as failed. */
  jobsPastDeadline: number;
  /** Why the ring stopped submitting, while it waits for its gate decision. */
  stoppedBecause?: string;
}

export interface RingRolloutProgress extends RingCounts {
  ring: RingName;
  attempt: number;
  phase: 'waiting-for-window' | 'paused' | 'snapshotting' | 'deploying' | 'verifying' | 'draining' | 'done';
  batchesDone: number;
  batches: number;
  windowOpensAt?: string;
  rate?: RingRateView;
}
