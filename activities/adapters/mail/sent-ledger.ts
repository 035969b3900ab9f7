import type { MailerPort } from '../../ports';
import { markMailSent, wasMailSent } from '../../store/mail-ledger-store';
import type { Queryable } from '../../store/pool';

/**
 * Sends each Message-ID once across activity retries: the ledger row is written right after the relay
 * accepted the message, and a retry that finds it does nothing. The gap between the relay's answer and
 * the row (a crash in that instant) is covered by the deterministic Message-ID, on which receivers
 * de-duplicate.
 */
export function withSentLedger(mailer: MailerPort, db: Queryable): MailerPort {
  return {
    async send(message) {
      if (await wasMailSent(db, message.messageId)) return;
      await mailer.send(message);
      await markMailSent(db, message.messageId, message.to.length);
    },
  };
}
