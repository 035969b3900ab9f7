import type { Command } from 'commander';
import { defineCommand } from './define-command';
import { jsonOption } from './fragments';
import { info, printJson } from './output';

export function devCommand(): Command {
  return defineCommand({
    name: 'dev',
    description: 'run Temporal, PostgreSQL and a worker for this directory (state in .patchctl/) until Ctrl-C',
    options: { json: jsonOption('print the addresses as one JSON document once everything is ready') },
    run: async (opts) => {
      const [{ startDevStack }, { abortOnStopSignal, waitForStop }, { devInfoFile }, { failed }] = await Promise.all([
        import('../dev-stack/start-dev-stack.js'),
        import('../dev-stack/stop-signal.js'),
        import('../dev-stack/dev-info.js'),
        import('../errors.js'),
      ]);
      const interrupt = abortOnStopSignal();
      let stack;
      try {
        stack = await startDevStack({ cwd: process.cwd(), json: Boolean(opts.json), signal: interrupt.signal });
      } catch (err) {
        if (interrupt.signal.aborted) throw failed('interrupted while starting; everything started so far was stopped');
        throw err;
      } finally {
        interrupt.dispose();
      }
      if (interrupt.signal.aborted) {
        await stack.stop();
        throw failed('interrupted while starting; everything started so far was stopped');
      }
      const { info: dev } = stack;
      if (opts.json) {
        printJson({ ...dev, policyFile: stack.policyFile, devInfoFile: devInfoFile() });
      } else {
        info('patchctl dev is running (Ctrl-C stops everything)');
        info(`  Temporal:  ${dev.temporalAddress} (namespace ${dev.namespace}, task queue ${dev.taskQueue})`);
        info(`  UI:        ${dev.uiUrl}`);
        info(`  database:  ${dev.databaseUrl}`);
        info(`  outbox:    ${dev.outboxDir}`);
        info(`  policy:    ${stack.policyFile}`);
        info('  other patchctl commands run in this directory use this stack.');
      }
      const reason = await waitForStop(stack.stoppedUnexpectedly);
      process.stderr.write(reason.kind === 'signal' ? `patchctl dev: ${reason.signal} received, stopping…\n` : `patchctl dev: ${reason.reason}; stopping the rest…\n`);
      await stack.stop();
      process.stderr.write('patchctl dev: stopped\n');
      if (reason.kind === 'stopped') throw failed(reason.reason);
    },
  });
}
