import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { getException, type ExceptionRow } from '../../activities/store/exception-store';
import { migrateUp } from '../../activities/store/migrate';
import { createPool } from '../../activities/store/pool';
import type { ExceptionStatus } from '../../domain/exception/exception';
import { exceptionStatusQuery } from '../../workflows/exception/messages';
import { resolveDatabaseUrl } from '../connection/stack';
import { notFound } from '../errors';
import { withException, type ExceptionRef } from './exception-target';

/** How long a closed workflow may take to answer: a replay needs a worker, and there may be none. */
const CLOSED_QUERY_DEADLINE_MS = 5_000;

export type Shown = ExceptionStatus & { ref: string; source: 'workflow' | 'register'; workflowStatus: string | null };

function fromRow(row: ExceptionRow): ExceptionStatus {
  const opt = (v: string | null) => v ?? undefined;
  return {
    exceptionId: row.id,
    clientId: row.clientId,
    kind: row.kind,
    status: row.status,
    hostnames: row.hostnames,
    patchIds: row.patchIds,
    reason: row.reason,
    requestedBy: row.requestedBy,
    requestedAt: row.requestedAt,
    ticketId: opt(row.ticketId),
    signedOffBy: opt(row.signedOffBy),
    signedOffAt: opt(row.signedOffAt),
    approvedBy: opt(row.approvedBy),
    approvedAt: opt(row.approvedAt),
    expiresAt: opt(row.expiresAt),
    reviewAt: opt(row.reviewAt),
    controls: row.controls,
    clientApprovalRef: opt(row.clientApprovalRef),
    statusReason: opt(row.statusReason),
    // The register keeps the current state only; the step-by-step record is the workflow history.
    events: [],
  };
}

async function fromRegister(target: ExceptionRef): Promise<ExceptionStatus | undefined> {
  const databaseUrl = resolveDatabaseUrl();
  await migrateUp(databaseUrl);
  const db = createPool(databaseUrl, 1);
  try {
    const row = await getException(db, target.exceptionId);
    return row && row.clientId === target.clientId ? fromRow(row) : undefined;
  } finally {
    await db.end();
  }
}

/** The workflow's own status: live while it runs, replayed by a worker once it has closed. */
async function fromWorkflow(client: Client, target: ExceptionRef): Promise<{ status?: ExceptionStatus; workflowStatus: string | null }> {
  const handle = client.workflow.getHandle(target.workflowId);
  let workflowStatus: string;
  try {
    workflowStatus = (await handle.describe()).status.name.toLowerCase();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { workflowStatus: null };
    throw error;
  }
  if (workflowStatus === 'running') return { status: await handle.query(exceptionStatusQuery), workflowStatus };
  try {
    const status = await client.connection.withDeadline(Date.now() + CLOSED_QUERY_DEADLINE_MS, () => handle.query(exceptionStatusQuery));
    return { status, workflowStatus };
  } catch {
    return { workflowStatus };
  }
}

/** An exception as the workflow tells it, else as the register keeps it (a closed workflow may have no worker). */
export async function showException(id: string): Promise<Shown> {
  const { target, live, workflowStatus } = await withException(id, async (_handle, client, target) => {
    const found = await fromWorkflow(client, target);
    return { target, live: found.status, workflowStatus: found.workflowStatus };
  });
  const source = live ? 'workflow' : 'register';
  const status = live ?? (await fromRegister(target));
  if (!status) throw notFound(`no exception ${target.ref}`, 'check the id with `patchctl exception list`');
  return { ref: target.ref, source, workflowStatus, ...status };
}
