import type { Queryable } from './pool';

export async function wasChatSent(db: Queryable, deliveryKey: string): Promise<boolean> {
  const result = await db.query('SELECT 1 FROM chat_sent WHERE delivery_key = $1', [deliveryKey]);
  return (result.rowCount ?? 0) > 0;
}

export async function markChatSent(db: Queryable, deliveryKey: string, channel: string): Promise<void> {
  await db.query('INSERT INTO chat_sent (delivery_key, channel) VALUES ($1, $2) ON CONFLICT (delivery_key) DO NOTHING', [deliveryKey, channel]);
}
