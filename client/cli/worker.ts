import type { Command } from 'commander';
import { defineCommand } from './define-command';
import { option } from './option-spec';
import { info } from './output';

export function workerCommand(): Command {
  return defineCommand({
    name: 'worker',
    description: 'run a patchctl worker against TEMPORAL_ADDRESS (or a Temporal profile) and DATABASE_URL, else the dev stack of this directory',
    options: {
      config: option('-c, --config <file>', 'policy file (default: PATCHCTL_CONFIG, ./patchctl.yaml, the example)', ({ z }) => z.string().min(1)),
      allowUnsigned: option('--allow-unsigned', 'run although the policy does not require signed decisions (anyone reaching Temporal could decide as anyone); logged at every start', ({ z }) => z.boolean()),
    },
    run: async (opts) => {
      // Loaded on use: the worker pulls in the native Temporal core, which `patchctl --help` does not need.
      const [{ loadPolicy }, { waitForStop }, { badInput, failed }, { loadEnv, resolveDatabaseUrl, resolveOutboxDir }, { resolveTemporalTarget }, { installRuntimeLogging }, { startWorker }] = await Promise.all([
        import('../use-cases/policy.js'),
        import('../dev-stack/stop-signal.js'),
        import('../errors.js'),
        import('../connection/stack.js'),
        import('../connection/temporal-target.js'),
        import('../dev-stack/runtime-logging.js'),
        import('../../workers/start-worker.js'),
      ]);
      const env = loadEnv();
      const loaded = loadPolicy(opts.config);
      const target = resolveTemporalTarget();
      const databaseUrl = resolveDatabaseUrl();
      const outboxDir = env.SMTP_URL ? undefined : resolveOutboxDir();
      if (!env.SMTP_URL && !outboxDir) {
        throw badInput('the worker has nowhere to send mail', 'set SMTP_URL to your relay (smtp://host:587), or PATCHCTL_OUTBOX_DIR to a folder for .eml files');
      }
      installRuntimeLogging(env.PATCHCTL_LOG_LEVEL);
      const worker = await startWorker({
        temporalAddress: target.address,
        namespace: target.namespace,
        taskQueue: target.taskQueue,
        databaseUrl,
        policy: loaded.policy,
        outboxDir,
        smtpUrl: env.SMTP_URL,
        smtpPasswordFile: env.SMTP_PASSWORD_FILE,
        // The dev stack's embedded PostgreSQL serialises connections: a big pool only adds waiting.
        poolMax: env.DATABASE_URL ? env.PATCHCTL_DB_POOL_MAX : Math.min(env.PATCHCTL_DB_POOL_MAX, 4),
        maxConcurrentActivities: env.PATCHCTL_WORKER_CONCURRENCY,
        connection: target.connection,
        // Beside a dev stack, vendor clients of the example policy may lack credentials: refuse their calls.
        // In production (DATABASE_URL set) a missing credential stops the worker here.
        unconfiguredVendors: env.DATABASE_URL ? 'fail' : 'refuse-calls',
        warn: (message) => info(`patchctl worker: ${message}`),
        policyFile: loaded.file,
        // Beside a dev stack (no DATABASE_URL) unsigned decisions are the local default; elsewhere only by explicit opt-out.
        unsignedDecisions: opts.allowUnsigned ? 'allow-unsigned' : env.DATABASE_URL ? undefined : 'dev-stack',
      });
      // The Schedules this worker's workflows run on (monthly report, SLA alerts); created once, and
      // left as an operator set them (paused, say) on every later start.
      const [{ withClient }, { ensureSchedules }] = await Promise.all([import('../connection/temporal-connection.js'), import('../../workers/report-schedule.js')]);
      await withClient(target, (client) => ensureSchedules(client, target.taskQueue, loaded.policy), env);
      info(`patchctl worker: polling task queue ${target.taskQueue} on ${target.address} (namespace ${target.namespace}); Ctrl-C stops it`);
      let crash: unknown;
      const stopped = worker.run.then(
        () => 'the worker stopped',
        (err: unknown) => {
          crash = err;
          return 'the worker failed';
        },
      );
      const reason = await waitForStop(stopped);
      if (reason.kind === 'signal') {
        info(`patchctl worker: ${reason.signal} received, finishing running tasks…`);
        await worker.shutdown();
        await worker.run;
        return;
      }
      if (crash) throw failed(`the worker failed: ${(crash as Error).message}`);
    },
  });
}
