import type { RingName } from '../../config/policy-schema';
import type { WorkloadCheck } from '../../config/policy-schema';

/** Names one batch of one attempt of one ring: activities read its members from PostgreSQL. */
export interface BatchRef {
  cycleId: string;
  clientId: string;
  ring: RingName;
  batchIndex: number;
  attempt: number;
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
