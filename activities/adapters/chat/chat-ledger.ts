import { markChatSent, wasChatSent } from '../../store/chat-ledger-store';
import type { Queryable } from '../../store/pool';
import type { ChatChannel } from './chat-webhook';

/**
 * Posts each message key once per channel across activity retries: the row is written right after
 * the webhook accepted it, and a retry that finds the row posts nothing. Neither Slack nor Teams
 * de-duplicates incoming webhooks, so the instant between their answer and the row is the only gap.
 */
export function withChatLedger(channel: ChatChannel, db: Queryable, clientId: string): ChatChannel {
  return {
    kind: channel.kind,
    async post(message) {
      const key = `${message.key}|${clientId}|${channel.kind}`;
      if (await wasChatSent(db, key)) return;
      await channel.post(message);
      await markChatSent(db, key, channel.kind);
    },
  };
}
