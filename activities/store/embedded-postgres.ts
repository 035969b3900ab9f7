import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * PGlite is one PostgreSQL backend. pglite-socket lets many TCP connections share it by queueing
 * their protocol *messages*, and while one connection has a transaction open it runs only that
 * connection's messages. Consequences for patchctl:
 * - two connections querying at the same moment can interleave the Parse/Bind/Execute of their
 *   unnamed statements and get each other's results (seen under load: a plan read no missing
 *   patches). So each process uses ONE connection (EMBEDDED_POOL_MAX), and the embedded stack is
 *   for one worker plus short CLI commands, not for concurrent writers from several processes;
 * - a transaction must never wait for a query on another connection (it would deadlock);
 * - all connections share one session: advisory locks, SET and temp tables do not isolate them
 *   (migrateUp therefore relies on transactions, not on advisory locks alone).
 * It is for `patchctl dev` / `demo` and tests; production uses a real PostgreSQL via DATABASE_URL.
 */
export const EMBEDDED_POOL_MAX = 1;

/** Connections the socket server accepts: a worker's pool, a CLI's pool and a migration at once. */
const MAX_SOCKET_CONNECTIONS = 32;

const LOCK_FILE = 'patchctl-embedded.pid';

/** Directories this process has open: the pid file alone cannot tell a second start in-process. */
const openHere = new Set<string>();

export interface EmbeddedPostgres {
  url: string;
  port: number;
  /** Pool size to use with `createPool(url, poolMax)`. */
  poolMax: number;
  dataDir: string;
  /** Closes client connections, stops listening and flushes the database to dataDir. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Directory holding the database files; created when missing, reused when it already holds one. */
  dataDir: string;
  /** TCP port on 127.0.0.1; 0 or undefined picks a free one. */
  port?: number;
}

export class EmbeddedPostgresInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`the embedded PostgreSQL data in ${dataDir} is already open in process ${pid}`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Two processes opening the same PGlite files would corrupt them, so the first one claims the directory. */
function claimDataDir(dataDir: string): () => void {
  if (openHere.has(dataDir)) throw new EmbeddedPostgresInUseError(dataDir, process.pid);
  const lockPath = join(dataDir, LOCK_FILE);
  try {
    writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const holder = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
    if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
      throw new EmbeddedPostgresInUseError(dataDir, holder);
    }
    // Left behind by a process that died without stopping the server.
    writeFileSync(lockPath, String(process.pid));
  }
  openHere.add(dataDir);
  return () => {
    openHere.delete(dataDir);
    rmSync(lockPath, { force: true });
  };
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const release = claimDataDir(dataDir);
  let db: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  try {
    db = await PGlite.create({ dataDir: join(dataDir, 'pgdata') });
    server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: options.port ?? 0, maxConnections: MAX_SOCKET_CONNECTIONS });
    await server.start();
  } catch (error) {
    await server?.stop().catch(() => undefined);
    await db?.close().catch(() => undefined);
    release();
    throw error;
  }
  const port = Number(server.getServerConn().split(':').pop());
  const runningDb = db;
  const runningServer = server;
  let stopped: Promise<void> | undefined;
  return {
    // PGlite accepts any user and password; these match a stock local PostgreSQL for familiarity.
    url: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`,
    port,
    poolMax: EMBEDDED_POOL_MAX,
    dataDir,
    stop() {
      stopped ??= (async () => {
        try {
          await runningServer.stop();
          await runningDb.close();
        } finally {
          release();
        }
      })();
      return stopped;
    },
  };
}
