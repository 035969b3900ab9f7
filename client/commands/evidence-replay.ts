import { Command } from 'commander';
import { z } from 'zod';
import { cycleWorkflowIdFrom } from '../cycle-target';
import { fetchRunChain } from '../../activities/evidence/history-source';
import type { ReplayInput, ReplayOutcome } from '../../activities/evidence/replay';
import { temporalHistorySource } from '../../workers/temporal-history-source';
import { workflowSource } from '../../workers/workflow-source';
import { badInput, CliError, ExitCode } from '../errors';
import { parseOptions } from '../options';
import { info, printJson } from '../output';
import { loadEnv, resolveTemporalTarget } from '../stack';
import { withClient } from '../temporal-connection';

const options = z.object({
  file: z.string().min(1).optional(),
  bundle: z.string().min(1).optional(),
  workflowId: z.string().min(1).optional(),
  json: z.boolean().optional(),
});

/** A cycle id as users type it, or any workflow id as it is (ring children, exceptions). */
function workflowIdFrom(ref: string): string {
  if (ref.includes('/ring/') || ref.startsWith('exception/')) return ref;
  try {
    return cycleWorkflowIdFrom(ref);
  } catch {
    return ref;
  }
}

export function evidenceReplayCommand(): Command {
  return new Command('replay')
    .description('replay workflow histories against the current workflow code: "consistent", or the first divergence')
    .argument('[workflow-id]', 'fetch this workflow (every run) from Temporal')
    .option('--file <history.json>', 'a history file of a bundle instead (workflow id from the file name)')
    .option('--bundle <dir>', 'every history of an exported bundle')
    .option('--workflow-id <id>', 'the workflow id of --file when its name does not carry it')
    .option('--json', 'print {"consistent", "histories":[…]} as one JSON document')
    .action(async (ref: string | undefined, raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      if ([ref, opts.file, opts.bundle].filter(Boolean).length !== 1) {
        throw badInput('pass exactly one of WORKFLOW_ID, --file HISTORY.json or --bundle DIR', 'e.g. `patchctl evidence replay acme-dental/20261129-0300-critical`');
      }
      // The worker's native runtime is loaded only here, not for every CLI command.
      /* eslint-disable @typescript-eslint/no-require-imports */
      const replay = require('../../activities/evidence/replay') as typeof import('../../activities/evidence/replay');
      const logging = require('../dev-stack/runtime-logging') as typeof import('../dev-stack/runtime-logging');
      /* eslint-enable @typescript-eslint/no-require-imports */
      logging.installRuntimeLogging(process.env.PATCHCTL_LOG_LEVEL ? loadEnv().PATCHCTL_LOG_LEVEL : 'ERROR');
      let inputs: ReplayInput[];
      try {
        if (opts.file) inputs = [replay.readHistoryFile(opts.file, opts.workflowId)];
        else if (opts.bundle) inputs = replay.readBundleHistories(opts.bundle);
        else {
          const workflowId = workflowIdFrom(ref!);
          const runs = await withClient(resolveTemporalTarget(), (client) => fetchRunChain(temporalHistorySource(client), workflowId));
          inputs = runs.map((r) => ({ workflowId, source: `${workflowId} run ${r.run} (${r.runId})`, history: r.history }));
        }
      } catch (error) {
        if (error instanceof replay.HistoryFileError) throw badInput(error.message, 'pass a history JSON that `patchctl evidence export` wrote');
        throw error;
      }
      const outcomes: ReplayOutcome[] = await replay.replayHistories(inputs, workflowSource());
      const diverged = outcomes.filter((o) => !o.consistent);
      if (diverged.length > 0) {
        const first = diverged[0]!;
        throw new CliError(
          `${first.source} does not replay against the current workflow code (${first.divergence?.kind}): ${first.divergence?.message}`,
          ExitCode.failed,
          'the workflow code changed incompatibly since this history was recorded (guard such changes with patched())',
          diverged.map((o) => ({ path: o.source, message: `${o.divergence?.kind}: ${o.divergence?.message}` })),
        );
      }
      if (opts.json) printJson({ consistent: true, histories: outcomes });
      else {
        for (const o of outcomes) info(`${o.source}: consistent`);
        info('consistent');
      }
    });
}
