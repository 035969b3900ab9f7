import { getExceptionsByIds, type ExceptionRow } from '../../activities/store/exception-store';
import type { Queryable } from '../../activities/store/pool';

export interface ExclusionEvidence {
  hostname: string;
  reason: string;
  exceptionIds: string[];
}

/** A register entry (ticket, sign-off, approval, expiry, controls) with the hosts it kept out of the cycle. */
export type ExceptionEvidence = ExceptionRow & { excludedHosts: string[] };

export interface ExceptionsDoc {
  cycleId: string;
  exclusions: ExclusionEvidence[];
  exceptions: ExceptionEvidence[];
}

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
  const exceptions: ExceptionEvidence[] = (await getExceptionsByIds(db, ids)).map((row) => ({
    ...row,
    excludedHosts: excl.filter((e) => e.exceptionIds.includes(row.id)).map((e) => e.hostname),
  }));
  return { cycleId, exclusions: excl, exceptions };
}
