import { Command } from 'commander';
import { z } from 'zod';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { getException, type ExceptionRow } from '../../activities/store/exception-store';
import { migrateUp } from '../../activities/store/migrate';
import { createPool } from '../../activities/store/pool';
import type { ExceptionStatus } from '../../domain/exception';
import { exceptionStatusQuery } from '../../workflows/exception/messages';
import { notFound } from '../errors';
import { exceptionEnd, nextStep, withException, type ExceptionRef } from '../exception-target';
import { parseOptions } from '../options';
import { info, printJson, printTable } from '../output';
import { resolveDatabaseUrl } from '../stack';

const options = z.object({ json: z.boolean().optional() });

/** How long a closed workflow may take to answer: a replay needs a worker, and there may be none. */
const CLOSED_QUERY_DEADLINE_MS = 5_000;

type Shown = ExceptionStatus & { ref: string; source: 'workflow' | 'register'; workflowStatus: string | null };

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

function printShown(s: Shown): void {
  info(`${s.ref}  ${s.kind}  ${s.status}${s.statusReason ? ` (${s.statusReason})` : ''}`);
  const rows: [string, string][] = [
    ['assets', s.hostnames.join(', ')],
    ['patches', s.patchIds.length > 0 ? s.patchIds.join(', ') : 'every patch'],
    ['reason', s.reason],
    ['requested', `${s.requestedBy} at ${s.requestedAt}`],
    ['ticket', s.ticketId ?? ''],
    ['signed off', s.signedOffBy ? `${s.signedOffBy} at ${s.signedOffAt ?? ''}` : ''],
    ['approved', s.approvedBy ? `${s.approvedBy} at ${s.approvedAt ?? ''}` : ''],
    [s.kind === 'deferral' ? 'expires' : 'review', exceptionEnd(s) ?? ''],
    ['controls', s.controls.map((c) => `${c.category}: ${c.description}`).join('; ') || 'none'],
  ];
  if (s.clientApprovalRef) rows.push(['client approval', s.clientApprovalRef]);
  for (const [label, value] of rows) info(`  ${label.padEnd(16)}${value}`);
  info(nextStep(s.ref, s));
  if (s.events.length > 0) printTable(['at', 'event', 'by', 'detail'], s.events.map((e) => [e.at, e.event, e.by, e.detail]));
  else if (s.source === 'register') info(`(from the register: the workflow ${s.workflowStatus ? `is ${s.workflowStatus} and ` : ''}cannot be queried for its event history)`);
}

export function exceptionShowCommand(): Command {
  return new Command('show')
    .description('show an exception: status, who signed off and approved, expiry or review date, and its event history')
    .argument('<id>', 'exception id (CLIENT/ID)')
    .option('--json', 'print the status (with "events" and "source": workflow | register) as one JSON document')
    .action(async (id: string, raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const { target, live, workflowStatus } = await withException(id, async (_handle, client, target) => {
        const found = await fromWorkflow(client, target);
        return { target, live: found.status, workflowStatus: found.workflowStatus };
      });
      let status = live;
      const source = live ? 'workflow' : 'register';
      status ??= await fromRegister(target);
      if (!status) throw notFound(`no exception ${target.ref}`, 'check the id with `patchctl exception list`');
      const shown: Shown = { ref: target.ref, source, workflowStatus, ...status };
      if (opts.json) printJson(shown);
      else printShown(shown);
    });
}
