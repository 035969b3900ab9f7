import { NativeConnection, Worker, type NativeConnectionOptions } from '@temporalio/worker';
import { loadPolicyFile } from '../config/load-policy';
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
  /** The policy file, re-read at every decision so a removed approver or revoked key applies to open workflows. */
  policyFile?: string;
  /**
   * Signing off in the policy: 'dev-stack' (the embedded dev stack and demo, warned), 'allow-unsigned'
   * (the operator's explicit opt-out, warned loudly at every start); unset refuses to start.
   */
  unsignedDecisions?: 'dev-stack' | 'allow-unsigned';
}

/** Refuses to run unsigned outside the dev stack unless the operator opted out; says so loudly either way. */
function checkSigning(options: StartWorkerOptions): void {
  if (options.policy.signing.requireSignedApprovals) return;
  const warn = options.warn ?? ((message: string) => console.error(message));
  if (options.unsignedDecisions === undefined) {
    throw new Error(
      'the policy has signing.requireSignedApprovals off: anyone who reaches Temporal could approve, override a gate or sign off an exception as anyone. ' +
        'Turn signing on (signing.requireSignedApprovals: true with every decider\'s public key), or start the worker with --allow-unsigned to accept that risk',
    );
  }
  const who = options.unsignedDecisions === 'dev-stack' ? 'dev stack' : '--allow-unsigned';
  warn(`WARNING (${who}): decisions are NOT required to be signed; any client of this Temporal namespace can decide as anyone named in policy`);
}

export interface RunningWorker {
  /** Resolves when the worker has stopped (after shutdown, or if it failed). */
  run: Promise<void>;
  shutdown(): Promise<void>;
}

/** Builds pg pool, mailer and vendor clients once, and runs the one patchctl worker type. */
export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  checkSigning(options);
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
    activities: createActivities({
      db,
      policy: options.policy,
      adaptersFor,
      mailer,
      currentPolicy: options.policyFile ? currentPolicy(options.policyFile) : undefined,
      approvalLinks: approvalLinkSettings(options.env ?? process.env),
      chatFor: buildChatChannels({ policy: options.policy, env: options.env ?? process.env, db }),
    }),
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

/**
 * The policy file as it is now. A file that no longer loads is an infrastructure error (the
 * decision activity retries until someone fixes it), never a silent fallback to old deciders.
 */
function currentPolicy(file: string): () => PatchPolicy {
  return () => {
    const result = loadPolicyFile(file);
    if (!result.ok) throw new Error(`policy ${file} no longer loads: ${result.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    return result.policy;
  };
}
