import type { Queryable } from './pool';
import type { CompensatingControl, ExceptionKind, ExceptionState } from '../../domain/exception/exception';

export interface ExceptionRow {
  id: string;
  clientId: string;
  kind: ExceptionKind;
  hostnames: string[];
  patchIds: string[];
  status: ExceptionState;
  reason: string;
  ticketId: string | null;
  requestedBy: string;
  requestedAt: string;
  signedOffBy: string | null;
  signedOffAt: string | null;
  approvedBy: string | null;
  approvedAt: string | null;
  expiresAt: string | null;
  reviewAt: string | null;
  controls: CompensatingControl[];
  clientApprovalRef: string | null;
  statusReason: string | null;
  updatedAt: string;
}

export type ExceptionRecord = Omit<ExceptionRow, 'updatedAt'>;

/** Keeps the register in step with the workflow: one row per exception, rewritten on every change. */
export async function saveException(db: Queryable, row: ExceptionRecord): Promise<void> {
  await db.query(
    `INSERT INTO exceptions (id, client_id, kind, hostnames, patch_ids, status, reason, ticket_id, requested_by, requested_at,
                             signed_off_by, signed_off_at, approved_by, approved_at, expires_at, review_at, controls,
                             client_approval_ref, status_reason, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, now())
     ON CONFLICT (id) DO UPDATE SET
       hostnames = EXCLUDED.hostnames, patch_ids = EXCLUDED.patch_ids, status = EXCLUDED.status, ticket_id = EXCLUDED.ticket_id,
       signed_off_by = EXCLUDED.signed_off_by, signed_off_at = EXCLUDED.signed_off_at, approved_by = EXCLUDED.approved_by,
       approved_at = EXCLUDED.approved_at, expires_at = EXCLUDED.expires_at, review_at = EXCLUDED.review_at,
       controls = EXCLUDED.controls, client_approval_ref = EXCLUDED.client_approval_ref, status_reason = EXCLUDED.status_reason,
       updated_at = now()`,
    [
      row.id,
      row.clientId,
      row.kind,
      row.hostnames,
      row.patchIds,
      row.status,
      row.reason,
      row.ticketId,
      row.requestedBy,
      row.requestedAt,
      row.signedOffBy,
      row.signedOffAt,
      row.approvedBy,
      row.approvedAt,
      row.expiresAt,
      row.reviewAt,
      JSON.stringify(row.controls),
      row.clientApprovalRef,
      row.statusReason,
    ],
  );
}

export interface ExceptionFilter {
  clientId?: string;
  /** Only those keeping assets out of cycles now. */
  active?: boolean;
  /** Only active ones whose expiry or review date falls within this many days from `now`. */
  expiringWithinDays?: number;
  now?: Date;
}

const COLUMNS = `id, client_id AS "clientId", kind, hostnames, patch_ids AS "patchIds", status, reason, ticket_id AS "ticketId",
  requested_by AS "requestedBy", requested_at AS "requestedAt", signed_off_by AS "signedOffBy", signed_off_at AS "signedOffAt",
  approved_by AS "approvedBy", approved_at AS "approvedAt", expires_at AS "expiresAt", review_at AS "reviewAt", controls,
  client_approval_ref AS "clientApprovalRef", status_reason AS "statusReason", updated_at AS "updatedAt"`;

function toRow(raw: Record<string, unknown>): ExceptionRow {
  const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : (v as string | null));
  return {
    ...(raw as unknown as ExceptionRow),
    requestedAt: iso(raw.requestedAt) as string,
    signedOffAt: iso(raw.signedOffAt),
    approvedAt: iso(raw.approvedAt),
    expiresAt: iso(raw.expiresAt),
    reviewAt: iso(raw.reviewAt),
    updatedAt: iso(raw.updatedAt) as string,
  };
}

export async function listExceptions(db: Queryable, filter: ExceptionFilter = {}): Promise<ExceptionRow[]> {
  const now = filter.now ?? new Date();
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.clientId) {
    params.push(filter.clientId);
    where.push(`client_id = $${params.length}`);
  }
  if (filter.active || filter.expiringWithinDays !== undefined) where.push(`status IN ('active', 'renewal-pending')`);
  if (filter.expiringWithinDays !== undefined) {
    params.push(now, new Date(now.getTime() + filter.expiringWithinDays * 86_400_000));
    where.push(`COALESCE(expires_at, review_at) BETWEEN $${params.length - 1} AND $${params.length}`);
  }
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM exceptions ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY COALESCE(expires_at, review_at) NULLS LAST, id`,
    params,
  );
  return (rows as Record<string, unknown>[]).map(toRow);
}

export async function getExceptionsByIds(db: Queryable, ids: readonly string[]): Promise<ExceptionRow[]> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM exceptions WHERE id = ANY($1::text[]) ORDER BY id`, [ids]);
  return (rows as Record<string, unknown>[]).map(toRow);
}

export async function getException(db: Queryable, id: string): Promise<ExceptionRow | undefined> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM exceptions WHERE id = $1`, [id]);
  const row = (rows as Record<string, unknown>[])[0];
  return row ? toRow(row) : undefined;
}
