import type { Queryable } from './pool';

export async function wasMailSent(db: Queryable, messageId: string): Promise<boolean> {
  const result = await db.query('SELECT 1 FROM mail_sent WHERE message_id = $1', [messageId]);
  return (result.rowCount ?? 0) > 0;
}

export async function markMailSent(db: Queryable, messageId: string, recipients: number): Promise<void> {
  await db.query('INSERT INTO mail_sent (message_id, recipients) VALUES ($1, $2) ON CONFLICT (message_id) DO NOTHING', [messageId, recipients]);
}
