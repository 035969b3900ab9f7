import type { ClientPolicy } from '../../config/policy-schema';
import type { Queryable } from './pool';

/** The part of a client's policy that other tables refer to and reports print. */
export type StoredClient = Pick<ClientPolicy, 'id' | 'name' | 'timezone' | 'owner'>;

/** A client id that is not in the store; the CLI turns it into exit 3 and lists the known ones. */
export class UnknownClientError extends Error {
  constructor(
    readonly clientId: string,
    readonly knownClients: readonly string[],
  ) {
    super(
      knownClients.length > 0
        ? `unknown client "${clientId}"; known clients: ${knownClients.join(', ')}`
        : `unknown client "${clientId}"; no clients are stored yet`,
    );
    this.name = 'UnknownClientError';
  }
}

/** Makes the clients table match the policy's clients (insert new ones, refresh changed ones). */
export async function upsertClients(db: Queryable, clients: readonly StoredClient[]): Promise<void> {
  if (clients.length === 0) return;
  await db.query(
    `INSERT INTO clients (id, name, timezone, owner)
     SELECT id, name, timezone, owner FROM jsonb_to_recordset($1::jsonb) AS c(id text, name text, timezone text, owner text)
     ON CONFLICT (id) DO UPDATE
       SET name = EXCLUDED.name, timezone = EXCLUDED.timezone, owner = EXCLUDED.owner, updated_at = now()
       WHERE (clients.name, clients.timezone, clients.owner) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.timezone, EXCLUDED.owner)`,
    [JSON.stringify(clients.map(({ id, name, timezone, owner }) => ({ id, name, timezone, owner })))],
  );
}

export async function getClient(db: Queryable, id: string): Promise<StoredClient | undefined> {
  const { rows } = await db.query<StoredClient>('SELECT id, name, timezone, owner FROM clients WHERE id = $1', [id]);
  return rows[0];
}

export async function listClients(db: Queryable): Promise<StoredClient[]> {
  const { rows } = await db.query<StoredClient>('SELECT id, name, timezone, owner FROM clients ORDER BY id');
  return rows;
}

/** Throws UnknownClientError (naming the clients that do exist) unless the client is stored. */
export async function requireClient(db: Queryable, id: string): Promise<StoredClient> {
  const client = await getClient(db, id);
  if (client) return client;
  const known = await listClients(db);
  throw new UnknownClientError(id, known.map((c) => c.id));
}
