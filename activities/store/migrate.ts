import { join } from 'node:path';
import { Client } from 'pg';
import { runner } from 'node-pg-migrate';
import { repoRoot } from '../../config/repo-root';

export const MIGRATIONS_TABLE = 'pgmigrations';

/** Our own lock key (node-pg-migrate's is 7241865325823964), so the two never wait on each other. */
const MIGRATE_LOCK_KEY = 7_241_865_325_823_001;

/** The SQL migrations live beside the sources; tsc does not copy them, so find them from the repo root. */
export function migrationsDir(root = repoRoot()): string {
  return join(root, 'activities', 'store', 'migrations');
}

export interface MigrateOptions {
  /** Where migration progress goes; stdout stays free for `--json` output. Default: nowhere. */
  log?: (message: string) => void;
}

/**
 * Applies every pending migration and returns the names it applied ([] when up to date).
 *
 * Safe to run from several processes at once. node-pg-migrate's own lock is a *try*-lock that makes
 * the loser throw "Another migration is already running", and an advisory lock would not exclude
 * anything on the embedded PGlite (all its connections share one session). So the whole run —
 * creating the migrations table, reading what ran, applying — happens inside one transaction that
 * first takes a transaction-scoped advisory lock: on PostgreSQL the second process waits on the lock,
 * on PGlite the socket multiplexer holds other connections back while a transaction is open; either
 * way the second process then finds nothing left to apply.
 */
export async function migrateUp(databaseUrl: string, options: MigrateOptions = {}): Promise<string[]> {
  const log = options.log ?? (() => undefined);
  const client = new Client({ connectionString: databaseUrl, application_name: 'patchctl-migrate' });
  // The runner opens its own BEGIN inside ours; PostgreSQL answers with a harmless notice.
  client.on('notice', () => undefined);
  client.on('error', (error) => log(`migration connection failed: ${error.message}`));
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATE_LOCK_KEY]);
    const applied = await runner({
      dbClient: client,
      dir: migrationsDir(),
      direction: 'up',
      migrationsTable: MIGRATIONS_TABLE,
      noLock: true,
      singleTransaction: true,
      checkOrder: true,
      log,
    });
    // When migrations ran, the runner's COMMIT already ended our transaction (this is then a no-op
    // with a notice); when none were pending it ends it here.
    await client.query('COMMIT');
    return applied.map((migration) => migration.name);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}
