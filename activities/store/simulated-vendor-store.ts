import type { AssetRole, OperatingSystem } from '../../config/policy-schema';
import type { Queryable } from './pool';

// The simulated vendors' own state (sim_* tables), so the embedded demo survives a worker restart
// like a real RMM, PSA or hypervisor would. Only activities/adapters/*/simulated.ts call these.

// --- simulated PSA ---

export interface SimTicketRequest {
  key: string;
  clientId: string;
  summary: string;
  details: string;
  priority: string;
}

/** Opens the ticket of this key once; returns its row id (the same id for a repeated key). */
export async function openSimTicket(db: Queryable, ticket: SimTicketRequest): Promise<number> {
  await db.query(
    `INSERT INTO sim_psa_tickets (key, client_id, summary, details, priority)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (key) DO NOTHING`,
    [ticket.key, ticket.clientId, ticket.summary, ticket.details, ticket.priority],
  );
  const { rows } = await db.query<{ id: string }>('SELECT id FROM sim_psa_tickets WHERE key = $1', [ticket.key]);
  return Number(rows[0]!.id);
}

/** Appends a note unless the same text is already there; false when the client has no such ticket. */
export async function appendSimTicketNote(db: Queryable, note: { id: string; clientId: string; text: string; status?: string }): Promise<boolean> {
  const result = await db.query(
    `UPDATE sim_psa_tickets
        SET notes = CASE WHEN notes @> jsonb_build_array(jsonb_build_object('text', $3::text)) THEN notes
                         ELSE notes || jsonb_build_array(jsonb_build_object('text', $3::text, 'at', now())) END,
            status = COALESCE($4, status)
      WHERE id = $1 AND client_id = $2
      RETURNING id`,
    [note.id, note.clientId, note.text, note.status ?? null],
  );
  return (result.rowCount ?? 0) > 0;
}

// --- simulated snapshots ---

export type SimSnapshotState = 'taken' | 'restored' | 'restore-failed';

export interface SimSnapshot {
  id: string;
  hostname: string;
  label: string;
  state: SimSnapshotState;
  createdAt: Date;
}

export async function findSimSnapshot(db: Queryable, id: string, clientId: string): Promise<SimSnapshot | undefined> {
  const { rows } = await db.query<SimSnapshot>(
    'SELECT id, hostname, label, state, created_at AS "createdAt" FROM sim_snapshots WHERE id = $1 AND client_id = $2',
    [id, clientId],
  );
  return rows[0];
}

export async function simSnapshotIdByKey(db: Queryable, key: string): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM sim_snapshots WHERE key = $1', [key]);
  return rows[0]?.id;
}

/** Takes the snapshot of this key once; returns its id. */
export async function takeSimSnapshot(db: Queryable, snapshot: { key: string; clientId: string; hostname: string; label: string }): Promise<string> {
  await db.query(
    `INSERT INTO sim_snapshots (key, client_id, hostname, label) VALUES ($1, $2, $3, $4)
     ON CONFLICT (key) DO NOTHING`,
    [snapshot.key, snapshot.clientId, snapshot.hostname, snapshot.label],
  );
  return (await simSnapshotIdByKey(db, snapshot.key))!;
}

export async function setSimSnapshotState(db: Queryable, id: string, state: SimSnapshotState): Promise<void> {
  await db.query('UPDATE sim_snapshots SET state = $2 WHERE id = $1', [id, state]);
}

// --- simulated RMM ---

export type SimJobKind = 'deploy' | 'uninstall';

export interface SimDevice {
  hostname: string;
  os: OperatingSystem;
  role: AssetRole;
  software: string[];
}

/** The client's devices as the simulated RMM sees them: patchctl's inventory (all, or these hosts). */
export async function loadSimDevices(db: Queryable, clientId: string, hostnames?: readonly string[]): Promise<SimDevice[]> {
  const { rows } = await db.query<SimDevice>(
    `SELECT a.hostname, a.os, a.role,
            COALESCE(array_agg(ap.name ORDER BY ap.name) FILTER (WHERE ap.name IS NOT NULL), '{}') AS software
       FROM assets a LEFT JOIN asset_applications ap ON ap.asset_id = a.id
      WHERE a.client_id = $1 AND ($2::text[] IS NULL OR a.hostname = ANY($2::text[]))
      GROUP BY a.id
      ORDER BY a.hostname`,
    [clientId, hostnames ?? null],
  );
  return rows;
}

/** The newest successful, finished job of each (host, patch): what the device has now. */
export async function loadSimLastJobs(db: Queryable, clientId: string, hostnames: readonly string[]): Promise<{ hostname: string; patchId: string; kind: SimJobKind }[]> {
  const { rows } = await db.query<{ hostname: string; patchId: string; kind: SimJobKind }>(
    `SELECT DISTINCT ON (hostname, patch_id) hostname, patch_id AS "patchId", kind
       FROM sim_rmm_jobs
      WHERE client_id = $1 AND hostname = ANY($2::text[]) AND outcome = 'succeeded' AND ready_at <= now()
      ORDER BY hostname, patch_id, ready_at DESC, created_at DESC`,
    [clientId, hostnames],
  );
  return rows;
}

export interface SimJobRequest {
  jobId: string;
  key: string;
  kind: SimJobKind;
  clientId: string;
  hostname: string;
  patchId: string;
  outcome: 'succeeded' | 'failed';
  latencyMs: number;
}

/**
 * Records a job in one statement: only for a known host (`knownHost`: from a fixed fleet; else the
 * assets table is asked), and a second submit of the same key inserts nothing. Returns the job id,
 * or undefined when the host is unknown.
 */
export async function submitSimJob(db: Queryable, job: SimJobRequest, knownHost?: boolean): Promise<string | undefined> {
  const values = [job.jobId, job.key, job.kind, job.clientId, job.hostname, job.patchId, job.outcome, job.latencyMs];
  const source = knownHost === undefined ? 'SELECT 1 FROM assets WHERE client_id = $4 AND hostname = $5' : 'SELECT 1 WHERE $9::boolean';
  const inserted = await db.query<{ jobId: string }>(
    `INSERT INTO sim_rmm_jobs (job_id, key, kind, client_id, hostname, patch_id, outcome, ready_at)
     SELECT $1, $2, $3, $4, $5, $6, $7, now() + ($8::integer * interval '1 millisecond')
       FROM (${source}) AS known_host
     ON CONFLICT (key, kind) DO NOTHING
     RETURNING job_id AS "jobId"`,
    knownHost === undefined ? values : [...values, knownHost],
  );
  if (inserted.rows[0]) return inserted.rows[0].jobId;
  const existing = await db.query<{ jobId: string }>('SELECT job_id AS "jobId" FROM sim_rmm_jobs WHERE key = $1 AND kind = $2', [job.key, job.kind]);
  return existing.rows[0]?.jobId;
}

export interface SimJob {
  kind: SimJobKind;
  hostname: string;
  patchId: string;
  outcome: 'succeeded' | 'failed';
  readyAt: Date;
  done: boolean;
}

export async function loadSimJob(db: Queryable, jobId: string, clientId: string): Promise<SimJob | undefined> {
  const { rows } = await db.query<SimJob>(
    `SELECT kind, hostname, patch_id AS "patchId", outcome, ready_at AS "readyAt", ready_at <= now() AS done
       FROM sim_rmm_jobs WHERE job_id = $1 AND client_id = $2`,
    [jobId, clientId],
  );
  return rows[0];
}

/**
 * A snapshot restore puts the disk back: what deploy jobs installed on the host since the snapshot
 * was taken is gone, which the simulated RMM sees as a finished uninstall of each (once per restore).
 */
export async function revertSimDeploysSince(db: Queryable, snapshot: { id: string; clientId: string; hostname: string; createdAt: Date }): Promise<void> {
  await db.query(
    `INSERT INTO sim_rmm_jobs (job_id, key, kind, client_id, hostname, patch_id, outcome, ready_at)
     SELECT 'sim-restore-' || $1 || '-' || patch_id, 'restore:' || $1 || ':' || patch_id, 'uninstall', $2, $3, patch_id, 'succeeded', now()
       FROM sim_rmm_jobs
      WHERE client_id = $2 AND hostname = $3 AND kind = 'deploy' AND outcome = 'succeeded' AND created_at >= $4
      GROUP BY patch_id
     ON CONFLICT DO NOTHING`,
    [snapshot.id, snapshot.clientId, snapshot.hostname, snapshot.createdAt],
  );
}
