import { loadCycleExclusions } from '../store/evidence-store';
import { getExceptionsByIds, type ExceptionRow } from '../store/exception-store';
import type { Queryable } from '../store/pool';

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
  const excl: ExclusionEvidence[] = (await loadCycleExclusions(db, cycleId)).map((r) => ({
    hostname: r.hostname,
    reason: r.reason,
    exceptionIds: (r.exceptionId ?? '').split(',').filter(Boolean),
  }));
  const ids = [...new Set(excl.flatMap((e) => e.exceptionIds))];
  const exceptions: ExceptionEvidence[] = (await getExceptionsByIds(db, ids)).map((row) => ({
    ...row,
    excludedHosts: excl.filter((e) => e.exceptionIds.includes(row.id)).map((e) => e.hostname),
  }));
  return { cycleId, exclusions: excl, exceptions };
}
