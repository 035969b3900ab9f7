import { Command } from 'commander';
import { loadPolicy } from '../../config/load-policy';
import { waitForStop } from '../dev-stack/stop-signal';
import { badInput, failed } from '../errors';
import { info } from '../output';
import { loadEnv, resolveDatabaseUrl, resolveOutboxDir, resolveTemporalTarget } from '../stack';

export function workerCommand(): Command {
  return new Command('worker')
    .description('run a patchctl worker against TEMPORAL_ADDRESS / DATABASE_URL (or the dev stack of this directory)')
    .option('-c, --config <file>', 'policy file (default: PATCHCTL_CONFIG, ./patchctl.yaml, the example)')
    .action(async (opts: { config?: string }) => {
      const env = loadEnv();
      const loaded = loadPolicy({ file: opts.config });
      const target = resolveTemporalTarget();
      const databaseUrl = resolveDatabaseUrl();
      const outboxDir = env.SMTP_URL ? undefined : resolveOutboxDir();
      if (!env.SMTP_URL && !outboxDir) {
        throw badInput('the worker has nowhere to send mail', 'set SMTP_URL to your relay (smtp://host:587), or PATCHCTL_OUTBOX_DIR to a folder for .eml files');
      }
      // Loaded on use: the worker pulls in the native Temporal core, which `patchctl --help` does not need.
      /* eslint-disable @typescript-eslint/no-require-imports */
      const { installRuntimeLogging } = require('../dev-stack/runtime-logging') as typeof import('../dev-stack/runtime-logging');
      const { startWorker } = require('../../workers/start-worker') as typeof import('../../workers/start-worker');
      /* eslint-enable @typescript-eslint/no-require-imports */
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
        tls: env.TEMPORAL_TLS_CERT_PATH && env.TEMPORAL_TLS_KEY_PATH
          ? { certPath: env.TEMPORAL_TLS_CERT_PATH, keyPath: env.TEMPORAL_TLS_KEY_PATH, caPath: env.TEMPORAL_TLS_CA_PATH, serverName: env.TEMPORAL_TLS_SERVER_NAME }
          : undefined,
        apiKey: env.TEMPORAL_API_KEY,
        // Beside a dev stack, vendor clients of the example policy may lack credentials: refuse their calls.
        // In production (DATABASE_URL set) a missing credential stops the worker here.
        unconfiguredVendors: env.DATABASE_URL ? 'fail' : 'refuse-calls',
        warn: (message) => info(`patchctl worker: ${message}`),
      });
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
    });
}
