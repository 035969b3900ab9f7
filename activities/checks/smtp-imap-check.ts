import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ImapFlow } from 'imapflow';
import { createTransport } from 'nodemailer';
import type { ServiceCheck } from '../../config/policy-schema';
import type { CheckEnv } from './check-outcome';
import { readCheckSecret } from './check-secret';

type SmtpImapCheck = Extract<ServiceCheck, { kind: 'smtp-imap' }>;

export const CHECK_HEADER = 'X-Patchctl-Check';
const POLL_MS = 500;

/**
 * The e-mail round trip: a message with a unique tag goes out through the client's SMTP relay and
 * must be found in the mailbox over IMAP before the deadline. Proves submission, transport and
 * delivery, which a port check cannot.
 */
export async function smtpImapRoundTrip(check: SmtpImapCheck, env: CheckEnv, deadline: number): Promise<string> {
  const tag = `patchctl-check-${randomBytes(8).toString('hex')}`;
  const ca = check.caFile ? readFileSync(check.caFile, 'utf8') : undefined;
  const smtpPassword = check.smtp.password ? readCheckSecret(check.smtp.password, env) : undefined;
  const imapPassword = readCheckSecret(check.imap.password, env);
  const timeout = Math.max(1000, deadline - Date.now());
  const transport = createTransport({
    host: check.smtp.host,
    port: check.smtp.port,
    secure: check.smtp.secure,
    ...(check.smtp.user ? { auth: { user: check.smtp.user, pass: smtpPassword ?? '' } } : {}),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    ...(ca ? { tls: { ca } } : {}),
  });
  try {
    await transport.sendMail({
      from: check.from,
      to: check.to,
      subject: `patchctl workload check ${tag}`,
      text: `Sent by patchctl to prove mail delivery after patching (${check.name}). It can be deleted.\n`,
      headers: { [CHECK_HEADER]: tag },
    });
  } finally {
    transport.close();
  }

  const imap = new ImapFlow({
    host: check.imap.host,
    port: check.imap.port,
    secure: check.imap.secure,
    auth: { user: check.imap.user, pass: imapPassword },
    logger: false,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    ...(ca ? { tls: { ca } } : {}),
  });
  imap.on('error', () => undefined);
  await imap.connect();
  try {
    await imap.mailboxOpen(check.imap.mailbox, { readOnly: true });
    for (;;) {
      const found = await imap.search({ header: { [CHECK_HEADER]: tag } });
      if (found && found.length > 0) {
        const message = await imap.fetchOne(String(found[0]), { headers: [CHECK_HEADER] });
        const header = message ? message.headers?.toString('utf8') : '';
        if (header?.includes(tag)) return `sent via ${check.smtp.host}:${check.smtp.port}, found in ${check.imap.mailbox} of ${check.imap.user} after ${Math.round(timeout - (deadline - Date.now()))} ms`;
      }
      if (Date.now() + POLL_MS > deadline) throw new Error(`sent, but not found in ${check.imap.mailbox} of ${check.imap.user} within ${Math.round(timeout / 1000)}s (tag ${tag})`);
      await new Promise((r) => setTimeout(r, POLL_MS));
      // A fresh SELECT makes the server report messages delivered since the last one.
      await imap.mailboxOpen(check.imap.mailbox, { readOnly: true });
    }
  } finally {
    await imap.logout().catch(() => undefined);
  }
}
