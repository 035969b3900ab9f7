import { randomBytes } from 'node:crypto';
import { Client, type Pool } from 'pg';
import { migrateUp } from '../../activities/store/migrate';
import { createPool } from '../../activities/store/pool';

export const DEFAULT_TEST_DATABASE_URL = 'postgresql://postgres:postgres@127.0.0.1:5432/postgres';

/** The server tests run against (`node scripts/ensure-postgres.cjs` starts the local one). */
export function testServerUrl(): string {
  return process.env.PATCHCTL_TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
}

export interface TestDatabase {
  /** Connection URL of the fresh database, for code under test that opens its own connections. */
  url: string;
  pool: Pool;
  /** Ends the pool and drops the database. */
  drop(): Promise<void>;
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function onServer<T>(serverUrl: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl });
  try {
    await client.connect();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot reach the test PostgreSQL (${reason}); run \`node scripts/ensure-postgres.cjs\` or set PATCHCTL_TEST_DATABASE_URL`);
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A uniquely named, migrated database, so test files can run in parallel without seeing each other. */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const serverUrl = testServerUrl();
  const name = `patchctl_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await onServer(serverUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = withDatabase(serverUrl, name);
  if (options.migrate ?? true) await migrateUp(url);
  const pool = createPool(url, 5);
  let dropped = false;
  return {
    url,
    pool,
    async drop() {
      if (dropped) return;
      dropped = true;
      await pool.end();
      await onServer(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
