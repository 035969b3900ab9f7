import type { Pool, PoolClient } from 'pg';
import type { AssetClass, AssetRole, OperatingSystem, RingName, Severity } from '../../config/policy-schema';
import type { PatchState } from '../../domain/asset';

type Db = Pool | PoolClient;

export interface PlanningAsset {
  assetId: string;
  hostname: string;
  os: OperatingSystem;
  role: AssetRole;
  assetClass: AssetClass;
  location: string;
}

export async function loadPlanningAssets(db: Db, clientId: string): Promise<PlanningAsset[]> {
  const { rows } = await db.query(
    `SELECT id::text AS "assetId", hostname, os, role, asset_class AS "assetClass", location
       FROM assets WHERE client_id = $1 ORDER BY hostname`,
    [clientId],
  );
  return rows as PlanningAsset[];
}

export interface ActiveExclusion {
  exceptionId: string;
  kind: 'deferral' | 'isolated-lane';
  hostnames: string[];
  patchIds: string[];
}

export async function loadActiveExclusions(db: Db, clientId: string, at: Date): Promise<ActiveExclusion[]> {
  const { rows } = await db.query(
    `SELECT id AS "exceptionId", kind, hostnames, patch_ids AS "patchIds" FROM exceptions
      WHERE client_id = $1 AND status IN ('active', 'renewal-pending')
        AND (kind = 'isolated-lane' OR expires_at IS NULL OR expires_at > $2)`,
    [clientId, at],
  );
  return rows as ActiveExclusion[];
}

export async function upsertPatches(db: Db, patches: { id: string; title: string; product: string; severity: Severity }[]): Promise<void> {
  if (patches.length === 0) return;
  await db.query(
    `INSERT INTO patches (id, title, product, severity)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
     ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, product = EXCLUDED.product, severity = EXCLUDED.severity`,
    [patches.map((p) => p.id), patches.map((p) => p.title), patches.map((p) => p.product), patches.map((p) => p.severity)],
  );
}

/** Records what the RMM says is missing; never moves an asset back from a later state. */
/** Records what the RMM says is missing; a pair already known keeps its state and first detection. */
export async function recordMissing(db: Db, pairs: { assetId: string; patchId: string }[], detectedAt: Date): Promise<void> {
  if (pairs.length === 0) return;
  await db.query(
    `INSERT INTO asset_patch_state (asset_id, patch_id, state, detected_at)
     SELECT a::bigint, p, 'missing', $3 FROM unnest($1::text[], $2::text[]) AS t(a, p)
     ON CONFLICT (asset_id, patch_id) DO NOTHING`,
    [pairs.map((p) => p.assetId), pairs.map((p) => p.patchId), detectedAt],
  );
}

/** Earliest recorded detection per asset among these pairs (assets never seen are absent). */
export async function firstDetected(db: Db, pairs: { assetId: string; patchId: string }[]): Promise<Map<string, Date>> {
  if (pairs.length === 0) return new Map();
  const { rows } = await db.query(
    `SELECT s.asset_id::text AS "assetId", min(s.detected_at) AS "detectedAt"
       FROM asset_patch_state s JOIN unnest($1::text[], $2::text[]) AS t(a, p) ON s.asset_id = t.a::bigint AND s.patch_id = t.p
      GROUP BY s.asset_id`,
    [pairs.map((p) => p.assetId), pairs.map((p) => p.patchId)],
  );
  return new Map((rows as { assetId: string; detectedAt: Date }[]).map((r) => [r.assetId, r.detectedAt]));
}

export interface PlannedMember {
  assetId: string;
  hostname: string;
  ring: RingName;
  batchIndex: number;
  assetClass: AssetClass;
  patchIds: string[];
  slaDeadline: Date;
  rebootMode: string;
  snapshotRequired: boolean;
}

export interface CycleRow {
  id: string;
  clientId: string;
  name: string;
  severity?: Severity;
  patchIds: string[];
  requestedBy: string;
}

/** Replaces the stored plan of a cycle in one transaction, so a retried plan never leaves half of one. */
export async function savePlan(
  db: PoolClient,
  cycle: CycleRow,
  members: PlannedMember[],
  exclusions: { hostname: string; reason: string; exceptionId?: string }[],
): Promise<void> {
  await db.query(
    `INSERT INTO cycles (id, client_id, name, severity, patch_ids, requested_by, status)
     VALUES ($1, $2, $3, $4, $5, $6, 'running')
     ON CONFLICT (id) DO UPDATE SET patch_ids = EXCLUDED.patch_ids, status = 'running', planned_at = now()`,
    [cycle.id, cycle.clientId, cycle.name, cycle.severity ?? null, cycle.patchIds, cycle.requestedBy],
  );
  await db.query('DELETE FROM cycle_assets WHERE cycle_id = $1', [cycle.id]);
  await db.query('DELETE FROM cycle_exclusions WHERE cycle_id = $1', [cycle.id]);
  const chunk = 5000;
  for (let i = 0; i < members.length; i += chunk) {
    const part = members.slice(i, i + chunk);
    await db.query(
      `INSERT INTO cycle_assets (cycle_id, asset_id, hostname, ring, batch_index, asset_class, patch_ids, sla_deadline, reboot_mode, snapshot_required)
       SELECT $1, a::bigint, h, r, b, c, string_to_array(p, ','), d, m, s
         FROM unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::timestamptz[], $9::text[], $10::bool[])
           AS t(a, h, r, b, c, p, d, m, s)`,
      [
        cycle.id,
        part.map((m) => m.assetId),
        part.map((m) => m.hostname),
        part.map((m) => m.ring),
        part.map((m) => m.batchIndex),
        part.map((m) => m.assetClass),
        part.map((m) => m.patchIds.join(',')),
        part.map((m) => m.slaDeadline),
        part.map((m) => m.rebootMode),
        part.map((m) => m.snapshotRequired),
      ],
    );
  }
  if (exclusions.length > 0) {
    await db.query(
      `INSERT INTO cycle_exclusions (cycle_id, hostname, reason, exception_id)
       SELECT $1, h, r, NULLIF(e, '') FROM unnest($2::text[], $3::text[], $4::text[]) AS t(h, r, e)`,
      [cycle.id, exclusions.map((e) => e.hostname), exclusions.map((e) => e.reason), exclusions.map((e) => e.exceptionId ?? '')],
    );
  }
}

export interface BatchMember {
  assetId: string;
  hostname: string;
  patchIds: string[];
  snapshotRequired: boolean;
  outcome: string;
  outcomeStage: string | null;
  outcomeDetail: string | null;
  attempt: number;
}

export async function loadBatch(db: Db, cycleId: string, ring: RingName, batchIndex: number): Promise<BatchMember[]> {
  const { rows } = await db.query(
    `SELECT asset_id::text AS "assetId", hostname, patch_ids AS "patchIds", snapshot_required AS "snapshotRequired", outcome,
            outcome_stage AS "outcomeStage", outcome_detail AS "outcomeDetail", attempt
       FROM cycle_assets WHERE cycle_id = $1 AND ring = $2 AND batch_index = $3 ORDER BY hostname`,
    [cycleId, ring, batchIndex],
  );
  return rows as BatchMember[];
}

export interface SnapshotRow {
  hostname: string;
  snapshotId: string;
  verified: boolean;
}

export async function loadSnapshots(db: Db, cycleId: string, ring: RingName, hostnames: string[]): Promise<Map<string, SnapshotRow>> {
  const { rows } = await db.query(
    `SELECT hostname, snapshot_id AS "snapshotId", verified_at IS NOT NULL AS verified
       FROM snapshots WHERE cycle_id = $1 AND ring = $2 AND hostname = ANY($3::text[])`,
    [cycleId, ring, hostnames],
  );
  return new Map((rows as SnapshotRow[]).map((r) => [r.hostname, r]));
}

export async function saveSnapshot(
  db: Db,
  row: { key: string; cycleId: string; ring: RingName; hostname: string; snapshotId: string; verified: boolean; detail: string },
): Promise<void> {
  await db.query(
    `INSERT INTO snapshots (key, cycle_id, ring, hostname, snapshot_id, verified_at, detail)
     VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 THEN now() END, $7)
     ON CONFLICT (key) DO UPDATE SET snapshot_id = EXCLUDED.snapshot_id, verified_at = EXCLUDED.verified_at, detail = EXCLUDED.detail`,
    [row.key, row.cycleId, row.ring, row.hostname, row.snapshotId, row.verified, row.detail],
  );
}

export async function markSnapshotRestored(db: Db, cycleId: string, ring: RingName, hostname: string): Promise<void> {
  await db.query('UPDATE snapshots SET restored_at = now() WHERE cycle_id = $1 AND ring = $2 AND hostname = $3', [cycleId, ring, hostname]);
}

export interface JobRow {
  key: string;
  kind: 'deploy' | 'uninstall';
  hostname: string;
  patchId: string;
  vendorJobId: string;
  state: string;
  detail: string | null;
}

export async function loadJobs(db: Db, keys: string[]): Promise<Map<string, JobRow>> {
  if (keys.length === 0) return new Map();
  const { rows } = await db.query(
    `SELECT key, kind, hostname, patch_id AS "patchId", vendor_job_id AS "vendorJobId", state, detail
       FROM deployment_jobs WHERE key = ANY($1::text[])`,
    [keys],
  );
  return new Map((rows as JobRow[]).map((r) => [r.key, r]));
}

export async function saveJob(
  db: Db,
  job: { key: string; kind: 'deploy' | 'uninstall'; cycleId: string; ring: RingName; hostname: string; patchId: string; vendorJobId: string },
): Promise<void> {
  await db.query(
    `INSERT INTO deployment_jobs (key, kind, cycle_id, ring, hostname, patch_id, vendor_job_id, state)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'submitted') ON CONFLICT (key) DO NOTHING`,
    [job.key, job.kind, job.cycleId, job.ring, job.hostname, job.patchId, job.vendorJobId],
  );
}

export async function finishJob(db: Db, key: string, state: 'succeeded' | 'failed', detail: string): Promise<void> {
  await db.query(`UPDATE deployment_jobs SET state = $2, detail = $3, finished_at = now() WHERE key = $1`, [key, state, detail]);
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
export async function recordStateChanges(db: Db, cycleId: string, ring: RingName, changes: StateChange[]): Promise<void> {
  for (const state of new Set(changes.map((c) => c.to))) {
    const group = changes.filter((c) => c.to === state);
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

export async function setOutcomes(
  db: Db,
  cycleId: string,
  outcomes: { assetId: string; outcome: string; stage: string; detail: string }[],
  attempt?: number,
): Promise<void> {
  if (outcomes.length === 0) return;
  await db.query(
    `UPDATE cycle_assets c SET outcome = t.o, outcome_stage = t.s, outcome_detail = t.d, attempt = COALESCE($6, c.attempt)
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS t(a, o, s, d)
      WHERE c.cycle_id = $1 AND c.asset_id = t.a::bigint`,
    [cycleId, outcomes.map((o) => o.assetId), outcomes.map((o) => o.outcome), outcomes.map((o) => o.stage), outcomes.map((o) => o.detail), attempt ?? null],
  );
}

export async function setCycleStatus(db: Db, cycleId: string, status: string, reason: string | null, ended: boolean): Promise<void> {
  await db.query(
    `UPDATE cycles SET status = $2, status_reason = $3, ended_at = CASE WHEN $4 THEN now() ELSE ended_at END WHERE id = $1`,
    [cycleId, status, reason, ended],
  );
}

export async function ringOutcomeCounts(db: Db, cycleId: string, ring: RingName): Promise<Record<string, number>> {
  const { rows } = await db.query(
    `SELECT outcome, count(*)::int AS n FROM cycle_assets WHERE cycle_id = $1 AND ring = $2 GROUP BY outcome`,
    [cycleId, ring],
  );
  return Object.fromEntries((rows as { outcome: string; n: number }[]).map((r) => [r.outcome, r.n]));
}
