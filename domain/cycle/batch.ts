import type { RingName } from '../../config/policy-schema';
import type { WorkloadCheck } from '../../config/policy-schema';

/** Names one batch of one attempt of one ring: activities read its members from PostgreSQL. */
export interface BatchRef {
  cycleId: string;
  clientId: string;
  ring: RingName;
  batchIndex: number;
  attempt: number;
  /**
   * End of the maintenance window this batch was started in (ISO): nothing may be submitted after
   * it, even by an activity attempt still running when its schedule-to-close timeout fired.
   */
  submitBefore?: string;
}

export interface SnapshotBatchResult {
  required: number;
  verified: number;
  failedHosts: string[];
}

export interface DeployBatchResult {
  assets: number;
  submitted: number;
  alreadySubmitted: number;
  /** Jobs not submitted because the window closed (`submitBefore`): the batch continues in the next window. */
  heldForWindow?: number;
}

export interface JobPollResult {
  pending: number;
  succeeded: number;
  failed: number;
}

export type AssetOutcome = 'verified' | 'failed';
export type OutcomeStage = 'snapshot' | 'deploy' | 'verify' | 'workload-check';

export interface AssetResult {
  hostname: string;
  outcome: AssetOutcome;
  stage: OutcomeStage;
  detail: string;
}

/** The per-asset outcomes of one batch: this is where each asset's result enters history. */
export interface VerifyBatchResult {
  assets: AssetResult[];
  deployed: number;
  verified: number;
  failed: number;
  /** The client's worker-run workload checks (policy serviceChecks), when any ran for this batch. */
  checks?: WorkloadCheckRun[];
}

/** One outcome of a worker-run workload check, kept in the evidence. */
export interface WorkloadCheckRun {
  name: string;
  kind: string;
  target: string;
  ok: boolean;
  detail: string;
  durationMs: number;
}

export interface VerifyBatchInput extends BatchRef {
  workloadChecks: WorkloadCheck[];
}

export interface RollbackBatchResult {
  touched: number;
  restored: number;
  uninstallsSubmitted: number;
  /** Installs still running on the agents: nothing was undone yet, ask again after a poll interval (absent in older histories). */
  inFlight?: number;
  failures: { hostname: string; detail: string }[];
}

export interface VerifyRollbackResult {
  assets: { hostname: string; outcome: 'rolled-back' | 'rollback-failed'; detail: string }[];
  rolledBack: number;
  failed: number;
}
