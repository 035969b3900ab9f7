import type { Queryable } from '../../activities/store/pool';

export interface ExclusionEvidence {
  hostname: string;
  reason: string;
  exceptionIds: string[];
}

export interface ExceptionEvidence {
  id: string;
  kind: string;
  status: string;
  reason: string;
  patchIds: string[];
  ticketId: string | null;
  requestedBy: string;
  requestedAt: string;
  signedOffBy: string | null;
  signedOffAt: string | null;
  approvedBy: string | null;
  approvedAt: string | null;
  expiresAt: string | null;
  reviewAt: string | null;
  controls: unknown;
  clientApprovalRef: string | null;
  /** The hosts this exception kept out of the cycle. */
  excludedHosts: string[];
}

export interface ExceptionsDoc {
  cycleId: string;
  exclusions: ExclusionEvidence[];
  exceptions: ExceptionEvidence[];
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The assets the plan left out and the register entries (sign-off, approval, expiry, controls) that did it. */
export async function loadCycleExceptions(db: Queryable, cycleId: string): Promise<ExceptionsDoc> {
  const exclusions = await db.query(
    `SELECT hostname, reason, exception_id FROM cycle_exclusions WHERE cycle_id = $1 ORDER BY hostname`,
    [cycleId],
  );
  const excl: ExclusionEvidence[] = exclusions.rows.map((r: { hostname: string; reason: string; exception_id: string | null }) => ({
    hostname: r.hostname,
    reason: r.reason,
    // planCycle joins several exceptions covering one host with commas.
    exceptionIds: (r.exception_id ?? '').split(',').filter(Boolean),
  }));
  const ids = [...new Set(excl.flatMap((e) => e.exceptionIds))];
  const { rows } = await db.query(
    `SELECT id, kind, status, reason, patch_ids, ticket_id, requested_by, requested_at, signed_off_by, signed_off_at, approved_by, approved_at,
            expires_at, review_at, controls, client_approval_ref
       FROM exceptions WHERE id = ANY($1::text[]) ORDER BY id`,
    [ids],
  );
  const exceptions: ExceptionEvidence[] = rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    status: r.status,
    reason: r.reason,
    patchIds: r.patch_ids,
    ticketId: r.ticket_id,
    requestedBy: r.requested_by,
    requestedAt: iso(r.requested_at) ?? '',
    signedOffBy: r.signed_off_by,
    signedOffAt: iso(r.signed_off_at),
    approvedBy: r.approved_by,
    approvedAt: iso(r.approved_at),
    expiresAt: iso(r.expires_at),
    reviewAt: iso(r.review_at),
    controls: r.controls,
    clientApprovalRef: r.client_approval_ref,
    excludedHosts: excl.filter((e) => e.exceptionIds.includes(r.id)).map((e) => e.hostname),
  }));
  return { cycleId, exclusions: excl, exceptions };
}
