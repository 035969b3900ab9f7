import type { Pool } from 'pg';

/** Runs fn on a migrated store with a one-connection pool; an unknown client is not found (exit 3). */
export async function withInventoryStore<T>(clientId: string, fn: (db: Pool) => Promise<T>): Promise<T> {
  const [{ migrateUp }, { createPool }, { resolveDatabaseUrl }, { getClient }, { notFound }] = await Promise.all([
    import('../../../activities/store/migrate.js'),
    import('../../../activities/store/pool.js'),
    import('../../connection/stack.js'),
    import('../../../activities/store/client-store.js'),
    import('../../errors.js'),
  ]);
  const databaseUrl = resolveDatabaseUrl();
  await migrateUp(databaseUrl);
  const db = createPool(databaseUrl, 1);
  try {
    if (!(await getClient(db, clientId))) throw notFound(`no client "${clientId}" in the store`, 'start the stack (`patchctl dev`) or import its inventory with `patchctl inventory import FILE --client ID` first');
    return await fn(db);
  } finally {
    await db.end();
  }
}
