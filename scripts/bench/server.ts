import { Client as PgClient } from 'pg';

/** The PostgreSQL server the benchmarks create their throw-away databases on. */
export const SERVER_URL = process.env.PATCHCTL_TEST_DATABASE_URL ?? 'postgresql://postgres:postgres@127.0.0.1:5432/postgres';

/** One statement on the server itself (CREATE / DROP DATABASE), outside any bench database. */
export async function onServer(sql: string): Promise<void> {
  const pg = new PgClient({ connectionString: SERVER_URL });
  await pg.connect();
  try {
    await pg.query(sql);
  } finally {
    await pg.end();
  }
}
