import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { findFreePort } from './free-port';

export interface TemporalDevServerOptions {
  /** The `temporal` CLI (from config/temporal-binaries.ts). */
  binary: string;
  /** SQLite file: workflow state survives a restart of the dev stack. */
  dbFile: string;
  /** Where the server's own output goes (appended). */
  logFile: string;
  namespace?: string;
  /** Preferred gRPC port; another free one is used when it is taken. */
  preferredPort?: number;
  /** How long to wait for the frontend (a busy 2-core CI box needs a while). */
  readyTimeoutMs?: number;
  /** Extra `start-dev` flags, e.g. `--search-attribute Name=Keyword`. */
  extraArgs?: string[];
  signal?: AbortSignal;
}

export interface TemporalDevServer {
  address: string;
  uiUrl: string;
  pid: number;
  /** Resolves when the server process exited (for whatever reason). */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

function logSize(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

/** What the server wrote since `from` (this attempt only), last lines first to go. */
function logTail(file: string, from: number, lines = 15): string {
  if (!existsSync(file)) return '';
  return readFileSync(file).subarray(from).toString('utf8').trim().split('\n').slice(-lines).join('\n');
}

class PortTakenError extends Error {}

async function waitUntilServing(address: string, namespace: string, deadline: number, exitedEarly: () => boolean, signal?: AbortSignal): Promise<void> {
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    if (exitedEarly()) throw new Error('the Temporal dev server exited during start-up');
    signal?.throwIfAborted();
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        // The frontend answers before the namespace is registered; a worker polling then would fail.
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = (err as Error).message;
    }
    await sleep(500);
  }
  throw new Error(`the Temporal dev server did not answer on ${address} in time (${lastError})`);
}

/** Starts `temporal server start-dev` on 127.0.0.1 and resolves once its frontend serves the namespace. */
export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  // A port found free can be taken by another process before the server binds it; then try others.
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort(attempt === 1 ? (options.preferredPort ?? 7233) : 0, HOST);
    const uiPort = await findFreePort(attempt === 1 ? port + 1000 : 0, HOST, [port]);
    try {
      return await startOnce(options, port, uiPort);
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt >= 3) throw err;
    }
  }
}

async function startOnce(options: TemporalDevServerOptions, port: number, uiPort: number): Promise<TemporalDevServer> {
  const namespace = options.namespace ?? 'default';
  mkdirSync(dirname(options.dbFile), { recursive: true });
  mkdirSync(dirname(options.logFile), { recursive: true });
  const args = [
    'server', 'start-dev',
    '--db-filename', options.dbFile,
    '--ip', HOST,
    '--port', String(port),
    '--ui-port', String(uiPort),
    '--namespace', namespace,
    '--log-level', 'warn',
    // Offline machines: the UI would otherwise try to fetch a news feed.
    '--ui-disable-news-fetch',
    ...(options.extraArgs ?? []),
  ];
  const logStart = logSize(options.logFile);
  const logFd = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(options.binary, args, { stdio: ['ignore', logFd, logFd] });
  } finally {
    closeSync(logFd);
  }
  let exitCode: number | null | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    });
    child.once('error', (err) => {
      spawnError = err;
      exitCode = -1;
      resolve(-1);
    });
  });

  const stop = async (): Promise<void> => {
    if (exitCode !== undefined) return;
    child.kill('SIGTERM');
    const stoppedInTime = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
    if (!stoppedInTime) {
      child.kill('SIGKILL');
      await exited;
    }
  };

  const address = `${HOST}:${port}`;
  try {
    await waitUntilServing(address, namespace, Date.now() + (options.readyTimeoutMs ?? 60_000), () => exitCode !== undefined, options.signal);
  } catch (err) {
    await stop();
    const tail = spawnError ? `cannot run ${options.binary}: ${spawnError.message}` : logTail(options.logFile, logStart);
    if (/address already in use/i.test(tail)) throw new PortTakenError(tail);
    throw new Error(`${(err as Error).message}${tail ? `\n--- ${options.logFile} (last lines) ---\n${tail}` : ''}`);
  }
  return { address, uiUrl: `http://${HOST}:${uiPort}`, pid: child.pid ?? -1, exited, stop };
}
