import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { CycleOutcome, DecisionRecord, RingProgress } from '../../domain/cycle/cycle-status';
import { loadCycleRecord, loadPlanRows } from '../store/evidence-store';
import type { Queryable } from '../store/pool';
import { toCsv } from './csv';
import { loadCycleExceptions } from './cycle-exceptions';
import { cycleSummaryMarkdown } from './cycle-summary';
import { buildDecisions, messageEvents } from './decisions';
import { attributes, completedActivities, EventType, firstPayload, payloadReader, type PayloadReader, type WorkflowRun } from './history-json';
import { fetchCycleHistories, type HistorySource } from './history-source';
import { writeManifest, type Manifest } from './manifest';
import { buildTimeline, TIMELINE_ACTIVITIES, TIMELINE_CSV_HEADERS, timelineCsvRows } from './timeline';

export interface CycleExportOptions {
  histories: HistorySource;
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

/** The part of the cycle workflow's result the bundle reads (the rest is in the histories). */
interface CycleResultRecord {
  status: CycleOutcome;
  rings: RingProgress[];
  decisions: DecisionRecord[];
}

/** The cycle's own record of rings and decisions: its result once closed, else its live status. */
async function cycleRecord(source: HistorySource, cycleId: string, parentRuns: readonly WorkflowRun[], read: PayloadReader): Promise<{ rings: RingProgress[]; decisions?: DecisionRecord[]; status?: string }> {
  const last = parentRuns[parentRuns.length - 1]?.history.events.at(-1);
  if (last?.eventType === EventType.completed) {
    const result = (await read(firstPayload(attributes<{ result?: unknown }>(last).result))) as CycleResultRecord;
    return { rings: result.rings, decisions: result.decisions, status: result.status };
  }
  const status = await source.cycleStatus(cycleId);
  // Failed or terminated: the decisions are rebuilt from the messages in history.
  return status ? { rings: status.rings, decisions: status.decisions, status: status.phase } : { rings: [] };
}

/**
 * Writes a cycle's evidence bundle: the histories of the cycle and every child run, the per-asset
 * timeline, decisions, exceptions, a summary and the (signed) manifest.
 */
export async function exportCycleEvidence(options: CycleExportOptions): Promise<CycleExportResult> {
  const { histories, db, cycleId, dir } = options;
  const progress = options.progress ?? (() => undefined);
  // The source hands histories over decoded: what is left is the payload converter's JSON.
  const read = payloadReader();

  const runs = await fetchCycleHistories(histories, cycleId, progress);
  for (const run of runs) writeJson(dir, run.file, run.history);
  const events = runs.reduce((n, r) => n + r.history.events.length, 0);
  progress(`wrote ${runs.length} histories (${events} events)`);

  const activities = (await Promise.all(runs.map((run) => completedActivities(run, TIMELINE_ACTIVITIES, read)))).flat();
  const timeline = buildTimeline(await loadPlanRows(db, cycleId), activities);
  writeJson(dir, 'timeline.json', { cycleId, entries: timeline });
  writeText(dir, 'timeline.csv', toCsv(TIMELINE_CSV_HEADERS, timelineCsvRows(timeline)));
  progress(`wrote the timeline: ${timeline.length} asset × patch entries`);

  const parentRuns = runs.filter((r) => r.workflowId === cycleId);
  const record = await cycleRecord(histories, cycleId, parentRuns, read);
  const decisions = buildDecisions(cycleId, record.decisions, await messageEvents(parentRuns, read), parentRuns);
  writeJson(dir, 'decisions.json', decisions);
  const exceptions = await loadCycleExceptions(db, cycleId);
  writeJson(dir, 'exceptions.json', exceptions);

  const row = await loadCycleRecord(db, cycleId);
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
