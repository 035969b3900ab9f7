import { WorkflowNotFoundError } from '@temporalio/common';
import { migrateUp } from '../../../activities/store/migrate';
import { createPool } from '../../../activities/store/pool';
import { getTriage, listTriage, type TriageRecord } from '../../../activities/store/triage-store';
import type { TriageStatus } from '../../../domain/triage/triage';
import { parseTriageRef } from '../../../domain/triage/triage-ids';
import { triageStatusQuery } from '../../../workflows/triage/messages';
import { resolveDatabaseUrl } from '../../connection/stack';
import { resolveTemporalTarget, withClient } from '../../connection/temporal-connection';
import { badInput, notFound } from '../../errors';

// What `triage status` and `triage list` read: the workflow while it answers, else the register.

const CLOSED_QUERY_DEADLINE_MS = 5_000;

export type ShownTriage = TriageStatus & { ref: string; shownFrom: 'workflow' | 'register' };

export function triageRef(id: string): { workflowId: string; clientId: string; triageId: string } {
  const ref = parseTriageRef(id);
  if (!ref) throw badInput(`"${id}" is not a triage id`, 'give it as CLIENT/YYYYMMDD-XXXXXXX, as `patchctl triage alert` printed it');
  return ref;
}

export async function withRegister<T>(fn: (db: ReturnType<typeof createPool>) => Promise<T>): Promise<T> {
  const databaseUrl = resolveDatabaseUrl();
  await migrateUp(databaseUrl);
  const db = createPool(databaseUrl, 1);
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}

function fromRecord(r: TriageRecord): TriageStatus {
  return {
    triageId: r.triageId,
    clientId: r.clientId,
    user: r.user,
    kind: r.kind as TriageStatus['kind'],
    ...(r.alertId ? { alertId: r.alertId } : {}),
    source: r.source as TriageStatus['source'],
    state: r.state as TriageStatus['state'],
    receivedAt: r.receivedAt,
    slaDeadline: r.slaDeadline,
    ...(r.completedAt ? { completedAt: r.completedAt } : {}),
    ...(r.slaMet !== null ? { slaMet: r.slaMet } : {}),
    ...(r.ticketId ? { ticketId: r.ticketId } : {}),
    ...(r.manualReason ? { manualReason: r.manualReason } : {}),
    steps: r.steps,
    escalations: r.escalations,
    ...(r.outcome ? { outcome: r.outcome } : {}),
  };
}

export async function showTriage(id: string): Promise<ShownTriage> {
  const ref = triageRef(id);
  const shown = `${ref.clientId}/${ref.triageId}`;
  const target = resolveTemporalTarget();
  const live = await withClient(target, async (client) => {
    const handle = client.workflow.getHandle(ref.workflowId);
    try {
      const running = (await handle.describe()).status.name === 'RUNNING';
      return running ? await handle.query(triageStatusQuery) : await client.connection.withDeadline(Date.now() + CLOSED_QUERY_DEADLINE_MS, () => handle.query(triageStatusQuery));
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      return undefined;
    }
  }).catch(() => undefined);
  if (live) return { ...live, ref: shown, shownFrom: 'workflow' };
  const record = await withRegister((db) => getTriage(db, ref.clientId, ref.triageId));
  if (!record) throw notFound(`no triage ${shown}`, 'list them with `patchctl triage list`');
  return { ...fromRecord(record), ref: shown, shownFrom: 'register' };
}

export async function listTriages(filter: { clientId?: string; month?: string }): Promise<(TriageRecord & { ref: string })[]> {
  const rows = await withRegister((db) => listTriage(db, filter));
  return rows.map((r) => ({ ref: `${r.clientId}/${r.triageId}`, ...r }));
}
