import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { workflowIdFromFileName } from './history-source';

export type WorkflowCode = Pick<ReplayWorkerOptions, 'workflowBundle' | 'workflowsPath'>;

export interface ReplayInput {
  workflowId: string;
  /** Where the history came from (a file of a bundle, or the server), for the report. */
  source: string;
  history: unknown;
}

export interface ReplayOutcome {
  workflowId: string;
  source: string;
  consistent: boolean;
  /** `determinism`: the code issues other commands than the history holds; `replay`: it failed otherwise. */
  divergence?: { kind: 'determinism' | 'replay'; message: string };
}

/**
 * Replays each history against the workflow code (the caller says which: workers/workflow-source.ts
 * finds the code this patchctl runs), in order, reporting each one. No payload codec: every history
 * arrives decrypted (export and the live fetch decode with the keys; the committed fixtures of
 * tests/replay are plain), and a codec with keys refuses plaintext payloads.
 */
export async function replayHistories(inputs: readonly ReplayInput[], code: WorkflowCode): Promise<ReplayOutcome[]> {
  const outcomes: ReplayOutcome[] = [];
  let i = 0;
  const histories = inputs.map((input) => ({ workflowId: input.workflowId, history: input.history }));
  for await (const result of Worker.runReplayHistories({ ...code, replayName: 'patchctl-evidence-replay' }, histories)) {
    const input = inputs[i++]!;
    const error = result.error;
    outcomes.push({
      workflowId: input.workflowId,
      source: input.source,
      consistent: !error,
      divergence: error ? { kind: error instanceof DeterminismViolationError ? 'determinism' : 'replay', message: error.message } : undefined,
    });
  }
  return outcomes;
}

/** A history file as `evidence export` (or `temporal workflow show -o json`) writes it. */
export function readHistoryFile(file: string, workflowId?: string): ReplayInput {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new HistoryFileError(file, `cannot be read as JSON: ${(error as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || !Array.isArray((doc as { events?: unknown }).events) || (doc as { events: unknown[] }).events.length === 0) {
    throw new HistoryFileError(file, 'is not a workflow history (expected {"events": [...]} with at least one event)');
  }
  const id = workflowId ?? workflowIdFromFileName(file);
  if (!id) throw new HistoryFileError(file, 'does not name its workflow (expected <encoded workflow id>[.run-N].json); pass --workflow-id');
  return { workflowId: id, source: file, history: doc };
}

/** Every history of a bundle, in file order. */
export function readBundleHistories(dir: string): ReplayInput[] {
  const folder = join(dir, 'histories');
  if (!existsSync(folder)) throw new HistoryFileError(folder, 'does not exist: pass the folder `evidence export` wrote');
  const files = readdirSync(folder).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) throw new HistoryFileError(folder, 'holds no history files');
  return files.map((f) => ({ ...readHistoryFile(join(folder, f)), source: `histories/${f}` }));
}

export class HistoryFileError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file} ${problem}`);
  }
}
