import type { ActivityDeps } from '../deps';
import type { MailMessage } from '../ports';

/** Mails a notice built in domain/notices.ts; a notice to nobody is no error. */
export async function sendNotice(deps: ActivityDeps, message: MailMessage): Promise<void> {
  if (message.to.length === 0) return;
  await deps.mailer.send(message);
}
