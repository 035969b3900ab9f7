import type { RingName } from '../../config/policy-schema';
import type { RingToPatch } from '../../domain/cycle/patching-notice';
import type { Queryable } from './pool';

/** Per unfinished cycle of these clients and per ring: assets still pending and whether any job was submitted. */
export async function ringsOfOpenCycles(db: Queryable, clientIds: readonly string[]): Promise<(RingToPatch & { cycleId: string; clientId: string; cycleName: string; patchIds: string[] })[]> {
  const { rows } = await db.query<{ cycle_id: string; client_id: string; name: string; patch_ids: string[]; ring: RingName; pending: number; hostnames: string[] | null; started: boolean }>(
    `SELECT c.id AS cycle_id, c.client_id, c.name, c.patch_ids, ca.ring,
            count(*) FILTER (WHERE ca.outcome = 'pending')::int AS pending,
            array_agg(ca.hostname ORDER BY ca.hostname) FILTER (WHERE ca.outcome = 'pending') AS hostnames,
            EXISTS (SELECT 1 FROM deployment_jobs j WHERE j.cycle_id = c.id AND j.ring = ca.ring) AS started
       FROM cycles c JOIN cycle_assets ca ON ca.cycle_id = c.id
      WHERE c.ended_at IS NULL AND c.client_id = ANY($1::text[])
      GROUP BY c.id, c.client_id, c.name, c.patch_ids, ca.ring
      ORDER BY c.id, ca.ring`,
    [clientIds],
  );
  return rows.map((r) => ({ cycleId: r.cycle_id, clientId: r.client_id, cycleName: r.name, patchIds: r.patch_ids, ring: r.ring, pending: r.pending, hostnames: r.hostnames ?? [], started: r.started }));
}

export interface PatchingNoticeRecord {
  cycleId: string;
  ring: RingName;
  clientId: string;
  contact: string;
  windowOpensAt: string;
  assets: number;
  messageId: string;
  attempts: number;
  lastAttemptAt: string | null;
  lastError: string | null;
  sentAt: string | null;
}

const iso = (value: Date | null) => (value ? value.toISOString() : null);

export async function listPatchingNotices(db: Queryable, cycleId: string): Promise<PatchingNoticeRecord[]> {
  const { rows } = await db.query(
    `SELECT cycle_id, ring, client_id, contact, window_opens_at, assets, message_id, attempts, last_attempt_at, last_error, sent_at
       FROM patching_notices WHERE cycle_id = $1 ORDER BY ring`,
    [cycleId],
  );
  return rows.map((r) => ({
    cycleId: r.cycle_id,
    ring: r.ring,
    clientId: r.client_id,
    contact: r.contact,
    windowOpensAt: (r.window_opens_at as Date).toISOString(),
    assets: r.assets,
    messageId: r.message_id,
    attempts: r.attempts,
    lastAttemptAt: iso(r.last_attempt_at),
    lastError: r.last_error,
    sentAt: iso(r.sent_at),
  }));
}

/** True when the notice of this (cycle, ring) was sent already. */
export async function patchingNoticeSent(db: Queryable, cycleId: string, ring: RingName): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM patching_notices WHERE cycle_id = $1 AND ring = $2 AND sent_at IS NOT NULL', [cycleId, ring]);
  return rows.length > 0;
}

/** One attempt at the notice: sent (error null) or failed with the error kept for the next sweep. */
export async function recordPatchingNoticeAttempt(
  db: Queryable,
  notice: Omit<PatchingNoticeRecord, 'attempts' | 'lastAttemptAt' | 'lastError' | 'sentAt'>,
  at: Date,
  error: string | null,
): Promise<void> {
  await db.query(
    `INSERT INTO patching_notices (cycle_id, ring, client_id, contact, window_opens_at, assets, message_id, attempts, last_attempt_at, last_error, sent_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8::timestamptz, $9::text, CASE WHEN $9::text IS NULL THEN $8::timestamptz END)
     ON CONFLICT (cycle_id, ring) DO UPDATE SET
       attempts = patching_notices.attempts + 1, last_attempt_at = $8::timestamptz, last_error = $9::text, contact = $4, window_opens_at = $5, assets = $6,
       sent_at = COALESCE(patching_notices.sent_at, CASE WHEN $9::text IS NULL THEN $8::timestamptz END)`,
    [notice.cycleId, notice.ring, notice.clientId, notice.contact, notice.windowOpensAt, notice.assets, notice.messageId, at, error],
  );
}
