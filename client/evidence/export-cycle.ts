import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Queryable } from '../../activities/store/pool';
import type { CycleStatus, DecisionRecord, RingProgress } from '../../domain/cycle-status';
import type { PatchCycleResult } from '../../domain/cycle-status';
import { cycleStatusQuery } from '../../workflows/cycle/messages';
import { toCsv } from './csv';
import { loadCycleExceptions } from './cycle-exceptions';
import { cycleSummaryMarkdown } from './cycle-summary';
import { buildDecisions, messageEvents } from './decisions';
import { fetchCycleHistories } from './fetch-histories';
import { attributes, completedActivities, EventType, firstPayload, payloadReader, type PayloadReader, type WorkflowRun } from './history-json';
import { writeManifest, type Manifest } from './manifest';
import { buildTimeline, loadPlanRows, TIMELINE_ACTIVITIES, TIMELINE_CSV_HEADERS, timelineCsvRows } from './timeline';

export interface CycleExportOptions {
  client: Client;
  db: Queryable;
  /** Workflow id of the cycle (`cycle/<client>/<name>`). */
  cycleId: string;
  /** An existing, empty directory. */
  dir: string;
  signingKey?: KeyObject;
  progress?: (line: string) => void;
  now?: () => Date;
}

export interface CycleExportResult {
  cycleId: string;
  dir: string;
  status: string | null;
  histories: number;
  events: number;
  assets: number;
  timelineEntries: number;
  decisions: number;
  exceptions: number;
  files: number;
  signed: boolean;
  manifest: Manifest;
}

function writeJson(dir: string, path: string, doc: unknown): void {
  writeText(dir, path, `${JSON.stringify(doc, null, 2)}\n`);
}

function writeText(dir: string, path: string, text: string): void {
  const file = join(dir, ...path.split('/'));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** The cycle's own record of rings and decisions: its result once closed, else its live status. */
async function cycleRecord(client: Client, cycleId: string, parentRuns: readonly WorkflowRun[], read: PayloadReader): Promise<{ rings: RingProgress[]; decisions?: DecisionRecord[]; status?: string }> {
  const last = parentRuns[parentRuns.length - 1]?.history.events.at(-1);
  if (last?.eventType === EventType.completed) {
    const result = (await read(firstPayload(attributes<{ result?: unknown }>(last).result))) as PatchCycleResult;
    return { rings: result.rings, decisions: result.decisions, status: result.status };
  }
  try {
    const status: CycleStatus = await client.workflow.getHandle(cycleId).query(cycleStatusQuery);
    return { rings: status.rings, decisions: status.decisions, status: status.phase };
  } catch {
    // Failed or terminated: the decisions are rebuilt from the messages in history.
    return { rings: [] };
  }
}

/**
 * Writes a cycle's evidence bundle: the histories of the cycle and every child run, the per-asset
 * timeline, decisions, exceptions, a summary and the (signed) manifest.
 */
export async function exportCycleEvidence(options: CycleExportOptions): Promise<CycleExportResult> {
  const { client, db, cycleId, dir } = options;
  const progress = options.progress ?? (() => undefined);
  const read = payloadReader(client.options.loadedDataConverter.payloadCodecs, client.options.loadedDataConverter.payloadConverter);
  await client.workflow.getHandle(cycleId).describe();

  const runs = await fetchCycleHistories(client, cycleId, progress);
  for (const run of runs) writeJson(dir, run.file, run.history);
  const events = runs.reduce((n, r) => n + r.history.events.length, 0);
  progress(`wrote ${runs.length} histories (${events} events)`);

  const activities = (await Promise.all(runs.map((run) => completedActivities(run, TIMELINE_ACTIVITIES, read)))).flat();
  const timeline = buildTimeline(await loadPlanRows(db, cycleId), activities);
  writeJson(dir, 'timeline.json', { cycleId, entries: timeline });
  writeText(dir, 'timeline.csv', toCsv(TIMELINE_CSV_HEADERS, timelineCsvRows(timeline)));
  progress(`wrote the timeline: ${timeline.length} asset × patch entries`);

  const parentRuns = runs.filter((r) => r.workflowId === cycleId);
  const record = await cycleRecord(client, cycleId, parentRuns, read);
  const decisions = buildDecisions(cycleId, record.decisions, await messageEvents(parentRuns, read), parentRuns);
  writeJson(dir, 'decisions.json', decisions);
  const exceptions = await loadCycleExceptions(db, cycleId);
  writeJson(dir, 'exceptions.json', exceptions);

  const { rows } = await db.query(
    `SELECT client_id AS "clientId", requested_by AS "requestedBy", status, status_reason AS "statusReason", planned_at AS "plannedAt", ended_at AS "endedAt" FROM cycles WHERE id = $1`,
    [cycleId],
  );
  const row = rows[0] as { clientId: string; requestedBy: string; status: string; statusReason: string | null; plannedAt: Date; endedAt: Date | null } | undefined;
  const createdAt = (options.now?.() ?? new Date()).toISOString();
  writeText(
    dir,
    'summary.md',
    cycleSummaryMarkdown({
      cycleId,
      createdAt,
      cycle: row && { ...row, plannedAt: row.plannedAt.toISOString(), endedAt: row.endedAt?.toISOString() ?? null },
      rings: record.rings,
      timeline,
      decisions,
      exceptions,
      histories: runs.map((r) => ({ file: r.file, workflowId: r.workflowId, run: r.run, events: r.history.events.length })),
    }),
  );
  const manifest = writeManifest(dir, { cycleId, createdAt }, options.signingKey);
  progress(`wrote manifest.json (${manifest.files.length} files)${options.signingKey ? ' and manifest.sig' : ''}`);
  return {
    cycleId,
    dir,
    status: row?.status ?? record.status ?? null,
    histories: runs.length,
    events,
    assets: new Set(timeline.map((e) => e.assetId)).size,
    timelineEntries: timeline.length,
    decisions: decisions.decisions.length,
    exceptions: exceptions.exceptions.length,
    files: manifest.files.length,
    signed: options.signingKey !== undefined,
    manifest,
  };
}
