import type { AssetResult, JobPollResult, SnapshotBatchResult, VerifyBatchResult, VerifyRollbackResult } from '../../domain/cycle/batch';
import type { PlanRow } from '../store/evidence-store';
import type { CompletedActivity } from './history-json';


// Per asset and patch: detected → planned → snapshot → deployed → verified | failed → rolled back, each
// step pointing at the history event (workflow id + event id) or the table it came from.

export const TIMELINE_ACTIVITIES: ReadonlySet<string> = new Set(['planCycle', 'snapshotBatch', 'deployBatch', 'pollBatchJobs', 'verifyBatch', 'verifyRollbackBatch']);

export type StepName = 'detected' | 'planned' | 'snapshot' | 'deployed' | 'verified' | 'failed' | 'rolled-back' | 'rollback-failed';

export interface TimelineStep {
  step: StepName;
  at: string | null;
  workflowId: string | null;
  eventId: number | null;
  /** The history event type or table column the step was read from. */
  source: string;
  attempt?: number;
  outcome?: string;
  stage?: string;
  detail?: string;
}

export interface TimelineEntry {
  hostname: string;
  assetId: string;
  patchId: string;
  ring: string;
  batchIndex: number;
  assetClass: string;
  slaDeadline: string;
  steps: TimelineStep[];
}

interface BatchInput {
  ring: string;
  batchIndex: number;
  attempt?: number;
  kind?: string;
}

const batchKey = (ring: string, batchIndex: number, attempt?: number) => `${ring}|${batchIndex}|${attempt ?? ''}`;

const fromEvent = (a: CompletedActivity) => ({ at: a.eventTime, workflowId: a.workflowId, eventId: a.eventId, source: `${a.activityType} ActivityTaskCompleted` });

interface VerifyRecord {
  activity: CompletedActivity;
  attempt: number;
  outcomes: Map<string, AssetResult>;
}

/** Indexes the batch activities of every run by ring, batch and attempt. */
function indexActivities(activities: readonly CompletedActivity[]) {
  const snapshots = new Map<string, CompletedActivity>();
  const deployed = new Map<string, CompletedActivity>();
  const verifies = new Map<string, VerifyRecord[]>();
  const rollbacks = new Map<string, { activity: CompletedActivity; outcomes: Map<string, VerifyRollbackResult['assets'][number]> }>();
  let plan: CompletedActivity | undefined;
  for (const a of activities) {
    const input = a.input as BatchInput;
    switch (a.activityType) {
      case 'planCycle':
        plan ??= a;
        break;
      case 'snapshotBatch':
        snapshots.set(batchKey(input.ring, input.batchIndex, input.attempt), a);
        break;
      case 'deployBatch':
        // The submission; replaced below by the poll that saw every job finish.
        if (!deployed.has(batchKey(input.ring, input.batchIndex, input.attempt))) deployed.set(batchKey(input.ring, input.batchIndex, input.attempt), a);
        break;
      case 'pollBatchJobs':
        if (input.kind === 'deploy' && (a.result as JobPollResult).pending === 0) deployed.set(batchKey(input.ring, input.batchIndex, input.attempt), a);
        break;
      case 'verifyBatch': {
        const key = batchKey(input.ring, input.batchIndex);
        const result = a.result as VerifyBatchResult;
        const list = verifies.get(key) ?? [];
        list.push({ activity: a, attempt: input.attempt ?? 1, outcomes: new Map(result.assets.map((r) => [r.hostname, r])) });
        verifies.set(key, list);
        break;
      }
      case 'verifyRollbackBatch': {
        const result = a.result as VerifyRollbackResult;
        rollbacks.set(batchKey(input.ring, input.batchIndex), { activity: a, outcomes: new Map(result.assets.map((r) => [r.hostname, r])) });
        break;
      }
    }
  }
  for (const list of verifies.values()) list.sort((x, y) => x.attempt - y.attempt);
  return { plan, snapshots, deployed, verifies, rollbacks };
}

export function buildTimeline(plan: readonly PlanRow[], activities: readonly CompletedActivity[]): TimelineEntry[] {
  const index = indexActivities(activities);
  return plan.map((row) => {
    const steps: TimelineStep[] = [];
    steps.push({ step: 'detected', at: row.detectedAt ? row.detectedAt.toISOString() : null, workflowId: null, eventId: null, source: 'asset_patch_state.detected_at' });
    if (index.plan) steps.push({ step: 'planned', ...fromEvent(index.plan), detail: `ring ${row.ring}, batch ${row.batchIndex}` });
    for (const verify of index.verifies.get(batchKey(row.ring, row.batchIndex)) ?? []) {
      const result = verify.outcomes.get(row.hostname);
      if (!result) continue;
      const key = batchKey(row.ring, row.batchIndex, verify.attempt);
      const snapshot = index.snapshots.get(key);
      if (row.snapshotRequired && snapshot) {
        const failedHost = (snapshot.result as SnapshotBatchResult).failedHosts.includes(row.hostname);
        steps.push({ step: 'snapshot', ...fromEvent(snapshot), attempt: verify.attempt, outcome: failedHost ? 'failed' : 'verified' });
      }
      const deploy = index.deployed.get(key);
      // Deployment means the install ran: not claimed when the snapshot or the job itself failed.
      const ran = result.outcome === 'verified' || result.stage === 'verify' || result.stage === 'workload-check';
      if (deploy && ran) steps.push({ step: 'deployed', ...fromEvent(deploy), attempt: verify.attempt });
      steps.push({ step: result.outcome, ...fromEvent(verify.activity), attempt: verify.attempt, outcome: result.outcome, stage: result.stage, detail: result.detail });
    }
    const rollback = index.rollbacks.get(batchKey(row.ring, row.batchIndex));
    const undone = rollback?.outcomes.get(row.hostname);
    if (rollback && undone) steps.push({ step: undone.outcome, ...fromEvent(rollback.activity), outcome: undone.outcome, detail: undone.detail });
    return {
      hostname: row.hostname,
      assetId: row.assetId,
      patchId: row.patchId,
      ring: row.ring,
      batchIndex: row.batchIndex,
      assetClass: row.assetClass,
      slaDeadline: row.slaDeadline.toISOString(),
      steps,
    };
  });
}

export const TIMELINE_CSV_HEADERS = ['hostname', 'asset_id', 'patch_id', 'ring', 'batch_index', 'step', 'at', 'workflow_id', 'event_id', 'attempt', 'outcome', 'stage', 'detail', 'source'];

export function timelineCsvRows(entries: readonly TimelineEntry[]): unknown[][] {
  return entries.flatMap((e) =>
    e.steps.map((s) => [e.hostname, e.assetId, e.patchId, e.ring, e.batchIndex, s.step, s.at, s.workflowId, s.eventId, s.attempt, s.outcome, s.stage, s.detail, s.source]),
  );
}
