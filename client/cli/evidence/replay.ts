import type { Command } from 'commander';
import type { ReplayInput } from '../../../activities/evidence/replay';
import { defineCommand } from '../define-command';
import { jsonOption } from '../fragments';
import { option } from '../option-spec';
import { info, printJson } from '../output';

/** A cycle id as users type it, or any workflow id as it is (ring children, exceptions). */
function workflowIdFrom(ref: string, cycleWorkflowIdFrom: (ref: string) => string): string {
  if (ref.includes('/ring/') || ref.startsWith('exception/')) return ref;
  try {
    return cycleWorkflowIdFrom(ref);
  } catch {
    return ref;
  }
}

export function evidenceReplayCommand(): Command {
  return defineCommand({
    name: 'replay',
    description: 'replay workflow histories against the current workflow code: "consistent", or the first divergence',
    args: [['[workflow-id]', 'fetch this workflow (every run) from Temporal']],
    options: {
      file: option('--file <history.json>', 'a history file of a bundle instead (workflow id from the file name)', ({ z }) => z.string().min(1)),
      bundle: option('--bundle <dir|file.zip>', 'every history of an exported bundle, after the bundle verifies (as `evidence verify` checks it)', ({ z }) => z.string().min(1)),
      publicKey: option('--public-key <file>', 'with --bundle: the MSP public key (PEM) you hold, outside the bundle (default: msp.evidencePublicKey of the policy outside the bundle)', ({ z }) => z.string().min(1)),
      allowUnsigned: option('--allow-unsigned', 'with --bundle: replay a bundle without manifest.sig whose hashes match', ({ z }) => z.boolean()),
      workflowId: option('--workflow-id <id>', 'the workflow id of --file when its name does not carry it', ({ z }) => z.string().min(1)),
      json: jsonOption('print {"consistent", "histories":[…]} as one JSON document'),
    },
    run: async (opts, ref: string | undefined) => {
      const [{ badInput, CliError }, { cycleWorkflowIdFrom }, { fetchRunChain }, { loadEnv }, { resolveTemporalTarget, withClient }] = await Promise.all([
        import('../../errors.js'),
        import('../../use-cases/cycle-target.js'),
        import('../../../activities/evidence/history-source.js'),
        import('../../connection/stack.js'),
        import('../../connection/temporal-connection.js'),
      ]);
      if ([ref, opts.file, opts.bundle].filter(Boolean).length !== 1) {
        throw badInput('pass exactly one of WORKFLOW_ID, --file HISTORY.json or --bundle DIR', 'e.g. `patchctl evidence replay acme-dental/20261129-0300-critical`');
      }
      const [replay, logging, { temporalHistorySource }, { workflowSource }] = await Promise.all([
        import('../../../activities/evidence/replay.js'),
        import('../../dev-stack/runtime-logging.js'),
        import('../../../workers/temporal-history-source.js'),
        import('../../../workers/workflow-source.js'),
      ]);
      // Only what a person should read before the verdict: the replay worker's warnings are noise here.
      logging.installRuntimeLogging(process.env.PATCHCTL_LOG_LEVEL ? loadEnv().PATCHCTL_LOG_LEVEL : 'ERROR');
      let inputs: ReplayInput[];
      try {
        if (opts.file) inputs = [replay.readHistoryFile(opts.file, opts.workflowId)];
        else if (opts.bundle) {
          // Only verified bytes are replayed: a history slipped into a bundle proves nothing.
          const { verifyEvidence } = await import('../../use-cases/verify-evidence.js');
          inputs = verifyEvidence(opts.bundle, { publicKeyFile: opts.publicKey, allowUnsigned: opts.allowUnsigned }, (dir) => replay.readBundleHistories(dir)).used!;
        }
        else {
          const workflowId = workflowIdFrom(ref!, cycleWorkflowIdFrom);
          const runs = await withClient(resolveTemporalTarget(), (client) => fetchRunChain(temporalHistorySource(client), workflowId));
          inputs = runs.map((r) => ({ workflowId, source: `${workflowId} run ${r.run} (${r.runId})`, history: r.history }));
        }
      } catch (error) {
        if (error instanceof replay.HistoryFileError) throw badInput(error.message, 'pass a history JSON that `patchctl evidence export` wrote');
        throw error;
      }
      const outcomes = await replay.replayHistories(inputs, workflowSource());
      const diverged = outcomes.filter((o) => !o.consistent);
      if (diverged.length > 0) {
        const first = diverged[0]!;
        throw new CliError(
          `${first.source} does not replay against the current workflow code (${first.divergence?.kind}): ${first.divergence?.message}`,
          'failed',
          'the workflow code changed incompatibly since this history was recorded (guard such changes with patched())',
          diverged.map((o) => ({ path: o.source, message: `${o.divergence?.kind}: ${o.divergence?.message}` })),
        );
      }
      if (opts.json) printJson({ consistent: true, histories: outcomes });
      else {
        for (const o of outcomes) info(`${o.source}: consistent`);
        info('consistent');
      }
    },
  });
}
