import { NativeConnection, Worker, type NativeConnectionOptions } from '@temporalio/worker';
import type { PatchPolicy } from '../config/policy-schema';
import { buildClientAdapters } from '../activities/adapters/build-adapters';
import { createMailer } from '../activities/adapters/mail/nodemailer-mailer';
import { withSentLedger } from '../activities/adapters/mail/sent-ledger';
import { createActivities } from '../activities/create-activities';
import { approvalLinkSettings } from '../activities/shared/send-notice';
import { buildChatChannels } from '../activities/adapters/chat/chat-channels';
import { createPool } from '../activities/store/pool';
import { migrateUp } from '../activities/store/migrate';
import { createDataConverter } from '../activities/codec/codec-keys';
import { workflowSource } from './workflow-source';

export interface StartWorkerOptions {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  databaseUrl: string;
  policy: PatchPolicy;
  outboxDir?: string;
  smtpUrl?: string;
  smtpPasswordFile?: string;
  /** Pool size; the embedded PostgreSQL wants a small one. */
  poolMax?: number;
  maxConcurrentActivities?: number;
  /**
   * TLS, API key and gRPC metadata besides the address, as Temporal's environment configuration
   * (`@temporalio/envconfig`) loads them for the CLI too; plain local connection when absent.
   */
  connection?: Pick<NativeConnectionOptions, 'tls' | 'apiKey' | 'metadata'>;
  /** Where vendor adapters read their endpoints and credential files from. */
  env?: NodeJS.ProcessEnv;
  /** See BuildAdaptersOptions: the dev stack lets unconfigured vendor clients refuse calls instead of failing. */
  unconfiguredVendors?: 'fail' | 'refuse-calls';
  warn?: (message: string) => void;
}

export interface RunningWorker {
  /** Resolves when the worker has stopped (after shutdown, or if it failed). */
  run: Promise<void>;
  shutdown(): Promise<void>;
}

/** Builds pg pool, mailer and vendor clients once, and runs the one patchctl worker type. */
export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  // Before anything connects: bad codec keys should stop the worker, not fail every task later.
  const dataConverter = createDataConverter(options.env ?? process.env);
  await migrateUp(options.databaseUrl);
  const db = createPool(options.databaseUrl, options.poolMax ?? 10);
  // Each Message-ID goes out once, however often a notice activity is retried.
  const mailer = withSentLedger(
    createMailer({
      from: options.policy.msp.mailFrom,
      smtpUrl: options.smtpUrl,
      outboxDir: options.smtpUrl ? undefined : options.outboxDir,
      smtpPasswordFile: options.smtpPasswordFile,
    }),
    db,
  );
  const adaptersFor = buildClientAdapters({
    db,
    policy: options.policy,
    env: options.env ?? process.env,
    unconfiguredVendors: options.unconfiguredVendors,
    warn: options.warn,
  });
  const connection = await NativeConnection.connect({ ...options.connection, address: options.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    dataConverter,
    ...workflowSource(),
    activities: createActivities({ db, policy: options.policy, adaptersFor, mailer, approvalLinks: approvalLinkSettings(options.env ?? process.env), chatFor: buildChatChannels({ policy: options.policy, env: options.env ?? process.env, db }) }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities ?? 100,
  });
  const run = worker.run().finally(async () => {
    await connection.close();
    await db.end();
  });
  return {
    run,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await run;
    },
  };
}
