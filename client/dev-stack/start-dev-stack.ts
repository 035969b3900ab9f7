import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadPolicy } from '../../config/load-policy';
import type { PatchPolicy } from '../../config/policy-schema';
import { requireBinary, resolveTemporalCli } from '../../config/temporal-binaries';
import { EmbeddedPostgresInUseError, startEmbeddedPostgres } from '../../activities/store/embedded-postgres';
import { migrateUp } from '../../activities/store/migrate';
import { ensureSchedules } from '../../workers/report-schedule';
import { startWorker } from '../../workers/start-worker';
import { withClient } from '../connection/temporal-connection';
import { badInput } from '../errors';
import { loadEnv } from '../connection/stack';
import { devInfoFile, isPidAlive, readLiveDevInfo, removeDevInfo, stateDir, writeDevInfo, type DevInfo } from './dev-info';
import { installRuntimeLogging } from './runtime-logging';
import { startTemporalDevServer } from './temporal-dev-server';

export interface DevStackOptions {
  cwd?: string;
  /** Under --json nothing but the final document may reach stdout; progress goes to stderr. */
  json?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Aborts a start that is still waiting (Ctrl-C during start-up). */
  signal?: AbortSignal;
  /** Progress notices ("starting Temporal…"); default: stderr. */
  log?: (message: string) => void;
}

export interface DevStack {
  info: DevInfo;
  policy: PatchPolicy;
  policyFile: string;
  /** Settles when a part of the stack stopped by itself (worker crashed, server died). */
  stoppedUnexpectedly: Promise<string>;
  /** Stops worker, database and Temporal (in that order) and removes dev.json. Safe to call twice. */
  stop(): Promise<void>;
}

function loadPolicyOrRefuse(cwd: string, env: NodeJS.ProcessEnv): { policy: PatchPolicy; file: string } {
  return loadPolicy({ env, cwd });
}

/** The Temporal server of a dev stack killed without cleanup still holds the port and the SQLite file. */
async function stopOrphanedServer(cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  let pid: number | undefined;
  try {
    const stale = JSON.parse(readFileSync(devInfoFile(cwd, env), 'utf8')) as { temporalPid?: number };
    const cmdline = stale.temporalPid ? readFileSync(`/proc/${stale.temporalPid}/cmdline`, 'utf8') : '';
    if (cmdline.includes('start-dev') && cmdline.includes(stateDir(cwd, env))) pid = stale.temporalPid;
  } catch {
    // No stale file, no such process, or no /proc: nothing to clean up.
  }
  if (pid === undefined) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 40 && isPidAlive(pid); i++) await sleep(250);
  if (isPidAlive(pid)) process.kill(pid, 'SIGKILL');
}

/**
 * Starts everything `patchctl dev` / `demo` need in this directory: the Temporal dev server (state in
 * .patchctl/temporal.db), PostgreSQL (embedded in .patchctl/pgdata unless DATABASE_URL is set,
 * migrated either way), a worker with its mail outbox, and .patchctl/dev.json for other commands.
 */
export async function startDevStack(options: DevStackOptions = {}): Promise<DevStack> {
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  // The Temporal CLI picks its internal ports (history, matching, HTTP, metrics) as "free" and binds
  // them later; on a busy machine another process can take one in between, and the server exits
  // (code 2) seconds after it started serving. Its state is in temporal.db, so a second start is safe.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevStackOnce(options);
    } catch (err) {
      if (!(err instanceof TemporalExitedDuringStartup) || attempt >= 2) throw err;
      log(`patchctl dev: ${err.message}; starting the stack again…`);
    }
  }
}

class TemporalExitedDuringStartup extends Error {}

async function startDevStackOnce(options: DevStackOptions): Promise<DevStack> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));

  const running = readLiveDevInfo(cwd, env);
  if (running) {
    throw badInput(
      `patchctl dev already runs for ${stateDir(cwd, env)} (pid ${running.pid}, Temporal ${running.temporalAddress}, UI ${running.uiUrl})`,
      `use that stack, or stop it first (Ctrl-C in its terminal, or \`kill -INT ${running.pid}\`)`,
    );
  }
  const parsedEnv = loadEnv(env);
  const { policy, file: policyFile } = loadPolicyOrRefuse(cwd, env);
  const temporalBinary = requireBinary(resolveTemporalCli(env), 'temporal');
  installRuntimeLogging(parsedEnv.PATCHCTL_LOG_LEVEL);

  const dir = stateDir(cwd, env);
  mkdirSync(dir, { recursive: true });
  await stopOrphanedServer(cwd, env);

  // Undo in reverse order whatever started, also when start-up fails half-way.
  const stops: Array<{ what: string; stop: () => Promise<void> }> = [];
  let stopping: Promise<void> | undefined;
  const stopAll = (): Promise<void> => {
    stopping ??= (async () => {
      const problems: string[] = [];
      for (const { what, stop } of [...stops].reverse()) {
        try {
          await stop();
        } catch (err) {
          problems.push(`${what}: ${(err as Error).message}`);
        }
      }
      removeDevInfo(process.pid, cwd, env);
      if (problems.length > 0) throw new Error(`some parts did not stop cleanly: ${problems.join('; ')}`);
    })();
    return stopping;
  };

  let settleUnexpected: (what: string) => void = () => undefined;
  const stoppedUnexpectedly = new Promise<string>((resolveStop) => {
    settleUnexpected = resolveStop;
  });
  // Parts stopping because we asked them to is not news.
  const reportUnexpectedStop = (what: string): void => {
    if (!stopping) settleUnexpected(what);
  };

  let startupCheck: () => Promise<void> = async () => undefined;
  try {
    log('patchctl dev: starting the Temporal dev server…');
    const temporal = await startTemporalDevServer({
      binary: temporalBinary,
      dbFile: join(dir, 'temporal.db'),
      logFile: join(dir, 'temporal.log'),
      namespace: parsedEnv.TEMPORAL_NAMESPACE,
      signal: options.signal,
    });
    stops.push({ what: 'Temporal dev server', stop: temporal.stop });
    const temporalExit = `the Temporal dev server exited; see ${join(dir, 'temporal.log')}`;
    let temporalGone = false;
    void temporal.exited.then((code) => {
      if (!stopping) temporalGone = true;
      reportUnexpectedStop(`the Temporal dev server exited (code ${code}); see ${join(dir, 'temporal.log')}`);
    });
    startupCheck = async () => {
      // A connection error can arrive just before the exit does: give the exit a moment to show.
      await Promise.race([temporal.exited, new Promise((r) => setTimeout(r, 1000))]);
      if (temporalGone) throw new TemporalExitedDuringStartup(temporalExit);
    };

    let databaseUrl = parsedEnv.DATABASE_URL;
    let poolMax = parsedEnv.PATCHCTL_DB_POOL_MAX;
    if (!databaseUrl) {
      log('patchctl dev: starting the embedded PostgreSQL…');
      try {
        const postgres = await startEmbeddedPostgres({ dataDir: join(dir, 'pgdata') });
        stops.push({ what: 'embedded PostgreSQL', stop: postgres.stop });
        databaseUrl = postgres.url;
        poolMax = Math.min(poolMax, postgres.poolMax);
      } catch (err) {
        if (err instanceof EmbeddedPostgresInUseError) {
          throw badInput(err.message, `stop process ${err.pid} first, or set DATABASE_URL to another PostgreSQL`);
        }
        throw err;
      }
    }
    options.signal?.throwIfAborted();
    await migrateUp(databaseUrl);

    const outboxDir = resolve(cwd, parsedEnv.PATCHCTL_OUTBOX_DIR ?? join(dir, 'outbox'));
    mkdirSync(outboxDir, { recursive: true });
    log('patchctl dev: starting the worker…');
    const worker = await startWorker({
      unsignedDecisions: 'dev-stack',
      temporalAddress: temporal.address,
      namespace: parsedEnv.TEMPORAL_NAMESPACE,
      taskQueue: parsedEnv.TEMPORAL_TASK_QUEUE,
      databaseUrl,
      policy,
      outboxDir,
      smtpUrl: parsedEnv.SMTP_URL,
      smtpPasswordFile: parsedEnv.SMTP_PASSWORD_FILE,
      poolMax,
      maxConcurrentActivities: parsedEnv.PATCHCTL_WORKER_CONCURRENCY,
      env,
      // The example policy names vendor clients; without their credentials here, they refuse calls.
      unconfiguredVendors: 'refuse-calls',
      warn: (message) => log(`patchctl dev: ${message}`),
    });
    stops.push({ what: 'worker', stop: () => worker.shutdown().then(() => worker.run.catch(() => undefined)) });
    void worker.run.then(
      () => reportUnexpectedStop('the worker stopped'),
      (err: unknown) => reportUnexpectedStop(`the worker failed: ${(err as Error).message}`),
    );
    // The monthly report Schedule; created once, left alone (e.g. paused) on later starts.
    await withClient({ address: temporal.address, namespace: parsedEnv.TEMPORAL_NAMESPACE }, (client) => ensureSchedules(client, parsedEnv.TEMPORAL_TASK_QUEUE, policy), parsedEnv);

    const info: DevInfo & { temporalPid: number } = {
      pid: process.pid,
      temporalAddress: temporal.address,
      uiUrl: temporal.uiUrl,
      databaseUrl,
      namespace: parsedEnv.TEMPORAL_NAMESPACE,
      taskQueue: parsedEnv.TEMPORAL_TASK_QUEUE,
      outboxDir,
      startedAt: new Date().toISOString(),
      temporalPid: temporal.pid,
    };
    if (temporalGone) throw new TemporalExitedDuringStartup(temporalExit);
    writeDevInfo(info, cwd, env);
    return { info, policy, policyFile, stoppedUnexpectedly, stop: stopAll };
  } catch (err) {
    let cause = err;
    try {
      await startupCheck();
    } catch (exited) {
      cause = exited;
    }
    await stopAll().catch(() => undefined);
    throw cause;
  }
}
