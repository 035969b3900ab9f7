import type { RingName } from '../../config/policy-schema';
import type { PatchState } from '../../domain/asset';
import type { AssetOutcome, OutcomeStage } from '../../domain/cycle/batch';
import type pg from 'pg';
import { withTransaction, type Queryable } from './pool';

// What a ring's batches read and write: the plan's members, the idempotent job ledger, snapshots,
// per-asset outcomes and the patch-state trail. Batches of one cycle touch disjoint assets; the
// multi-row writes still go in key order so that two writers can never lock rows in opposite orders.

/** A member's outcome in the plan: pending until verified or failed, then possibly rolled back. */
export type MemberOutcome = 'pending' | AssetOutcome | 'rolled-back' | 'rollback-failed';
/** Where the outcome was decided: a batch stage, or the rollback. */
export type MemberStage = OutcomeStage | 'rollback';
export type JobKind = 'deploy' | 'uninstall';
export type JobState = 'submitted' | 'succeeded' | 'failed';

const assetOrder = (assetId: string) => assetId.padStart(20, '0');

export interface BatchMember {
  assetId: string;
  hostname: string;
  patchIds: string[];
  snapshotRequired: boolean;
  outcome: MemberOutcome;
  outcomeStage: MemberStage | null;
  outcomeDetail: string | null;
  attempt: number;
}

export async function loadRingBatch(db: Queryable, cycleId: string, ring: RingName, batchIndex: number): Promise<BatchMember[]> {
  const { rows } = await db.query<BatchMember>(
    `SELECT asset_id::text AS "assetId", hostname, patch_ids AS "patchIds", snapshot_required AS "snapshotRequired", outcome,
            outcome_stage AS "outcomeStage", outcome_detail AS "outcomeDetail", attempt
       FROM cycle_assets WHERE cycle_id = $1 AND ring = $2 AND batch_index = $3 ORDER BY hostname`,
    [cycleId, ring, batchIndex],
  );
  return rows;
}

/** A retry-failed attempt takes the members that failed in earlier attempts back to pending, once. */
export async function reopenFailedMembers(db: Queryable, ref: { cycleId: string; ring: RingName; batchIndex: number; attempt: number }): Promise<void> {
  await db.query(
    `UPDATE cycle_assets SET outcome = 'pending', outcome_stage = NULL, outcome_detail = NULL, attempt = $4
      WHERE cycle_id = $1 AND ring = $2 AND batch_index = $3 AND outcome = 'failed' AND attempt < $4`,
    [ref.cycleId, ref.ring, ref.batchIndex, ref.attempt],
  );
}

export interface MemberOutcomeChange {
  assetId: string;
  outcome: MemberOutcome;
  stage: MemberStage;
  detail: string;
}

/** Writes members' outcomes; with `attempt`, also which attempt decided them. */
export async function recordOutcomes(db: Queryable, cycleId: string, outcomes: readonly MemberOutcomeChange[], attempt?: number): Promise<void> {
  if (outcomes.length === 0) return;
  const sorted = [...outcomes].sort((a, b) => assetOrder(a.assetId).localeCompare(assetOrder(b.assetId)));
  await db.query(
    `UPDATE cycle_assets c SET outcome = t.o, outcome_stage = t.s, outcome_detail = t.d, attempt = COALESCE($6, c.attempt)
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS t(a, o, s, d)
      WHERE c.cycle_id = $1 AND c.asset_id = t.a::bigint`,
    [cycleId, sorted.map((o) => o.assetId), sorted.map((o) => o.outcome), sorted.map((o) => o.stage), sorted.map((o) => o.detail), attempt ?? null],
  );
}

export interface SnapshotRecord {
  hostname: string;
  snapshotId: string;
  verified: boolean;
  restored: boolean;
}

export async function loadSnapshots(db: Queryable, cycleId: string, ring: RingName, hostnames: readonly string[]): Promise<Map<string, SnapshotRecord>> {
  const { rows } = await db.query<SnapshotRecord>(
    `SELECT hostname, snapshot_id AS "snapshotId", verified_at IS NOT NULL AS verified, restored_at IS NOT NULL AS restored
       FROM snapshots WHERE cycle_id = $1 AND ring = $2 AND hostname = ANY($3::text[])`,
    [cycleId, ring, hostnames],
  );
  return new Map(rows.map((r) => [r.hostname, r]));
}

export async function recordSnapshot(
  db: Queryable,
  row: { key: string; cycleId: string; ring: RingName; hostname: string; snapshotId: string; verified: boolean; detail: string },
): Promise<void> {
  await db.query(
    `INSERT INTO snapshots (key, cycle_id, ring, hostname, snapshot_id, verified_at, detail)
     VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 THEN now() END, $7)
     ON CONFLICT (key) DO UPDATE SET snapshot_id = EXCLUDED.snapshot_id, verified_at = EXCLUDED.verified_at, detail = EXCLUDED.detail`,
    [row.key, row.cycleId, row.ring, row.hostname, row.snapshotId, row.verified, row.detail],
  );
}

export async function markSnapshotRestored(db: Queryable, cycleId: string, ring: RingName, hostname: string): Promise<void> {
  await db.query('UPDATE snapshots SET restored_at = now() WHERE cycle_id = $1 AND ring = $2 AND hostname = $3', [cycleId, ring, hostname]);
}

export interface DeploymentJob {
  key: string;
  kind: JobKind;
  hostname: string;
  patchId: string;
  vendorJobId: string;
  state: JobState;
  detail: string | null;
}

export async function loadDeploymentJobs(db: Queryable, keys: readonly string[]): Promise<Map<string, DeploymentJob>> {
  if (keys.length === 0) return new Map();
  const { rows } = await db.query<DeploymentJob>(
    `SELECT key, kind, hostname, patch_id AS "patchId", vendor_job_id AS "vendorJobId", state, detail
       FROM deployment_jobs WHERE key = ANY($1::text[])`,
    [keys],
  );
  return new Map(rows.map((r) => [r.key, r]));
}

/** The ledger entry of a submitted job; a second record of the same key keeps the first. */
export async function recordDeploymentJob(
  db: Queryable,
  job: { key: string; kind: JobKind; cycleId: string; ring: RingName; hostname: string; patchId: string; vendorJobId: string },
): Promise<void> {
  await db.query(
    `INSERT INTO deployment_jobs (key, kind, cycle_id, ring, hostname, patch_id, vendor_job_id, state)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'submitted') ON CONFLICT (key) DO NOTHING`,
    [job.key, job.kind, job.cycleId, job.ring, job.hostname, job.patchId, job.vendorJobId],
  );
}

/** Ends a submitted job; true when this call ended it (false: it had already ended). */
export async function finishDeploymentJob(db: Queryable, key: string, state: Exclude<JobState, 'submitted'>, detail: string): Promise<boolean> {
  const { rowCount } = await db.query(`UPDATE deployment_jobs SET state = $2, detail = $3, finished_at = now() WHERE key = $1 AND state = 'submitted'`, [key, state, detail]);
  return (rowCount ?? 0) > 0;
}

/**
 * A job's end and the asset's state event in one transaction: a crash between the two would leave
 * the job terminal and the event lost for good, because a retry sees the job ended and records nothing.
 */
export async function finishJobWithStateChange(
  pool: pg.Pool,
  job: { key: string; state: Exclude<JobState, 'submitted'>; detail: string },
  event?: { cycleId: string; ring: RingName; change: StateChange },
): Promise<void> {
  await withTransaction(pool, async (tx) => {
    const ended = await finishDeploymentJob(tx, job.key, job.state, job.detail);
    if (ended && event) await recordStateChanges(tx, event.cycleId, event.ring, [event.change]);
  });
}

/** Members' outcomes and their patches' state events in one transaction (same reason as above). */
export async function recordOutcomesWithStateChanges(
  pool: pg.Pool,
  cycleId: string,
  ring: RingName,
  outcomes: readonly MemberOutcomeChange[],
  changes: readonly StateChange[],
): Promise<void> {
  if (outcomes.length === 0 && changes.length === 0) return;
  await withTransaction(pool, async (tx) => {
    await recordOutcomes(tx, cycleId, outcomes);
    await recordStateChanges(tx, cycleId, ring, changes);
  });
}

export interface StateChange {
  assetId: string;
  patchId: string;
  to: PatchState;
  detail: string;
}

const STATE_COLUMN: Partial<Record<PatchState, string>> = {
  deployed: 'deployed_at',
  verified: 'verified_at',
  failed: 'failed_at',
  'rolled-back': 'rolled_back_at',
  excepted: 'excepted_at',
};

/** Moves per-asset patch state and appends each move, with its time, to the event trail. */
export async function recordStateChanges(db: Queryable, cycleId: string, ring: RingName, changes: readonly StateChange[]): Promise<void> {
  const sorted = [...changes].sort((a, b) => `${assetOrder(a.assetId)}|${a.patchId}`.localeCompare(`${assetOrder(b.assetId)}|${b.patchId}`));
  for (const state of new Set(sorted.map((c) => c.to))) {
    const group = sorted.filter((c) => c.to === state);
    const column = STATE_COLUMN[state];
    await db.query(
      `WITH moved AS (
         INSERT INTO asset_patch_state AS s (asset_id, patch_id, state, cycle_id, detail ${column ? `, ${column}` : ''})
         SELECT a::bigint, p, $1, $2, d ${column ? ', now()' : ''} FROM unnest($3::text[], $4::text[], $5::text[]) AS t(a, p, d)
         ON CONFLICT (asset_id, patch_id) DO UPDATE
           SET state = EXCLUDED.state, cycle_id = EXCLUDED.cycle_id, detail = EXCLUDED.detail, updated_at = now()
               ${column ? `, ${column} = now()` : ''}
         RETURNING asset_id, patch_id)
       INSERT INTO patch_state_events (asset_id, patch_id, cycle_id, ring, to_state, detail)
       SELECT m.asset_id, m.patch_id, $2, $6, $1, t.d
         FROM moved m JOIN unnest($3::text[], $4::text[], $5::text[]) AS t(a, p, d)
           ON m.asset_id = t.a::bigint AND m.patch_id = t.p`,
      [state, cycleId, group.map((c) => c.assetId), group.map((c) => c.patchId), group.map((c) => c.detail), ring],
    );
  }
}
