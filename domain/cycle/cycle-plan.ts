import type { SigningPolicy } from '../approval-signature';
import type { ClientPolicy, RingName, RingsPolicy, RolloutPolicy, Severity, WorkloadCheck, MaintenanceWindow } from '../../config/policy-schema';
import type { DeadlineGroup, ExcludedAsset } from './cycle-status';

export interface PlanCycleInput {
  cycleId: string;
  clientId: string;
  requestedBy: string;
  severity?: Severity;
  patchIds?: string[];
  /** The workflow's notion of now, so the plan's deadlines are what history says they were. */
  plannedAt: string;
}

export interface RingPlan {
  ring: RingName;
  size: number;
  batches: number;
  /** Assets whose snapshot must be taken and verified before they are patched. */
  snapshots: number;
  /** Assets whose reboot policy is manual approval (do-not-disrupt): promotion needs a person. */
  manualReboots: number;
}

/** What the workflow carries of a plan: sizes and references only; members stay in PostgreSQL. */
export interface CyclePlan {
  cycleId: string;
  clientId: string;
  timezone: string;
  maintenanceWindows: MaintenanceWindow[];
  workloadChecks: WorkloadCheck[];
  patches: { id: string; severity: Severity }[];
  rings: RingPlan[];
  /** The first excluded assets, for display; `excludedCount` is the whole number. */
  excluded: ExcludedAsset[];
  excludedCount: number;
  deadlines: DeadlineGroup[];
  ringsPolicy: RingsPolicy;
  rollout: RolloutPolicy;
  escalation: string[];
  clientOwner: ClientPolicy['owner'];
  /** Approvers' public keys; when `required`, unsigned decisions are refused. */
  signing: SigningPolicy;
}

export const EXCLUDED_LIST_LIMIT = 100;
