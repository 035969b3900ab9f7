import type { Queryable } from './pool';

// The simulated identity provider's state (only activities/adapters/identity/simulated.ts calls these).

export async function recordSimIdentityAction(db: Queryable, clientId: string, userId: string, action: string): Promise<void> {
  await db.query(
    `INSERT INTO sim_identity_actions (client_id, user_id, action) VALUES ($1, $2, $3)
     ON CONFLICT (client_id, user_id, action) DO UPDATE SET times = sim_identity_actions.times + 1, last_at = now()`,
    [clientId, userId, action],
  );
}

export async function simIdentityActions(db: Queryable, clientId: string): Promise<{ userId: string; action: string; times: number }[]> {
  const { rows } = await db.query<{ user_id: string; action: string; times: number }>(
    `SELECT user_id, action, times FROM sim_identity_actions WHERE client_id = $1 ORDER BY user_id, action`,
    [clientId],
  );
  return rows.map((r) => ({ userId: r.user_id, action: r.action, times: r.times }));
}
