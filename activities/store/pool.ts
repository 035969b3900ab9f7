import pg from 'pg';

/**
 * What store functions need from a database handle: a Pool, a PoolClient inside a transaction and a
 * plain Client all satisfy it, so the same function runs inside or outside a transaction.
 */
export type Queryable = Pick<pg.ClientBase, 'query'>;

export function createPool(databaseUrl: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, application_name: 'patchctl' });
  // An idle client losing its server (restart, embedded server stopped) emits 'error' on the pool;
  // unhandled, that would crash the worker between activities instead of failing the next query.
  pool.on('error', (error) => {
    process.stderr.write(`patchctl: idle PostgreSQL connection failed: ${error.message}\n`);
  });
  return pool;
}

/** Runs fn on one connection between BEGIN and COMMIT; any throw rolls everything back. */
export async function withTransaction<T>(pool: pg.Pool, fn: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      // A connection that cannot roll back must not go back to the pool in an unknown state.
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    }
    throw error;
  } finally {
    client.release(broken);
  }
}
