import type { CycleStatus } from '../../domain/cycle/cycle-status';
import { attributes, EventType, type HistoryJson, type WorkflowRun } from './history-json';

/**
 * Where evidence builders get workflow histories from. Declared here, implemented beside the
 * Temporal client (workers/temporal-history-source.ts), so that a CLI command and an activity build
 * a bundle with the same code.
 */
export interface HistorySource {
  /**
   * One run of a workflow (the current run when runId is omitted) in proto-JSON, every payload
   * already decoded by the payload codec: the auditor's bundle is read without our keys. Throws the
   * catalogue's NotFound when there is no such workflow.
   */
  fetchHistory(workflowId: string, runId?: string): Promise<HistoryJson>;
  /** A running cycle's own status (its query); undefined when it cannot answer (closed, failed). */
  cycleStatus(cycleWorkflowId: string): Promise<CycleStatus | undefined>;
}

/** `histories/<encoded id>.json` for the first run, `.run-N.json` for the runs after a continue-as-new. */
export function historyFileName(workflowId: string, run: number): string {
  return `histories/${encodeURIComponent(workflowId)}${run > 1 ? `.run-${run}` : ''}.json`;
}

/** The workflow id a bundle's history file holds (inverse of historyFileName). */
export function workflowIdFromFileName(file: string): string | undefined {
  const base = file.split(/[\\/]/).pop() ?? '';
  const match = /^(.+?)(?:\.run-\d+)?\.json$/.exec(base);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return undefined;
  }
}

function startedRunIds(history: HistoryJson): { runId?: string; previous?: string } {
  const first = history.events[0];
  if (!first || first.eventType !== EventType.started) return {};
  const a = attributes<{ continuedExecutionRunId?: string; originalExecutionRunId?: string }>(first);
  return { runId: a.originalExecutionRunId, previous: a.continuedExecutionRunId || undefined };
}

function nextRunId(history: HistoryJson): string | undefined {
  const last = history.events[history.events.length - 1];
  if (last?.eventType !== EventType.continuedAsNew) return undefined;
  return attributes<{ newExecutionRunId?: string }>(last).newExecutionRunId || undefined;
}

/**
 * Every run of one workflow id, first to last: back along continuedExecutionRunId from the run we
 * were given, then forward along each WorkflowExecutionContinuedAsNew.
 */
export async function fetchRunChain(source: HistorySource, workflowId: string, runId?: string, onRun?: (runs: number, events: number) => void): Promise<WorkflowRun[]> {
  const histories: { runId: string; history: HistoryJson }[] = [];
  const given = await source.fetchHistory(workflowId, runId);
  histories.push({ runId: runId ?? startedRunIds(given).runId ?? '', history: given });
  onRun?.(histories.length, given.events.length);
  for (let previous = startedRunIds(given).previous; previous; ) {
    const history = await source.fetchHistory(workflowId, previous);
    histories.unshift({ runId: previous, history });
    onRun?.(histories.length, history.events.length);
    previous = startedRunIds(history).previous;
  }
  for (let next = nextRunId(given); next; ) {
    const history = await source.fetchHistory(workflowId, next);
    histories.push({ runId: next, history });
    onRun?.(histories.length, history.events.length);
    next = nextRunId(history);
  }
  return histories.map((h, i) => ({ workflowId, runId: h.runId, run: i + 1, file: historyFileName(workflowId, i + 1), history: h.history }));
}

/** Child workflows a run started, with the run id of the child's first run when it did start. */
function childrenOf(run: WorkflowRun): { workflowId: string; runId?: string }[] {
  const initiated = new Map<string, string>();
  const started = new Map<string, string>();
  for (const event of run.history.events) {
    if (event.eventType === EventType.childInitiated) {
      initiated.set(String(event.eventId), attributes<{ workflowId: string }>(event).workflowId);
    } else if (event.eventType === EventType.childStarted) {
      const a = attributes<{ initiatedEventId?: string | number; workflowExecution?: { runId?: string } }>(event);
      if (a.workflowExecution?.runId) started.set(String(a.initiatedEventId), a.workflowExecution.runId);
    }
  }
  return [...initiated].map(([eventId, workflowId]) => ({ workflowId, runId: started.get(eventId) }));
}

/**
 * The cycle's runs and those of every child it started (and their children), each followed through
 * continue-as-new: together they hold every per-asset outcome of the cycle.
 */
export async function fetchCycleHistories(source: HistorySource, cycleWorkflowId: string, progress: (line: string) => void = () => undefined): Promise<WorkflowRun[]> {
  const runs: WorkflowRun[] = [];
  const queue: { workflowId: string; runId?: string }[] = [{ workflowId: cycleWorkflowId }];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const next = queue.shift()!;
    // A child that was started twice under one id (never done by patchctl) is fetched once per run id.
    const key = `${next.workflowId}|${next.runId ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const chain = await fetchRunChain(source, next.workflowId, next.runId);
    const events = chain.reduce((n, r) => n + r.history.events.length, 0);
    progress(`fetched ${next.workflowId}: ${chain.length} run${chain.length === 1 ? '' : 's'}, ${events} events`);
    runs.push(...chain);
    for (const run of chain) queue.push(...childrenOf(run));
  }
  return runs;
}
