import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string | undefined;
  to: string[];
  /** The raw message as the server received it (headers and body). */
  raw: string;
  /** The user the client logged in as, if it did. */
  user: string | undefined;
}

export interface TestSmtpServer {
  port: number;
  url: string;
  messages: ReceivedMail[];
  /** Makes the next n DATA commands fail with this SMTP reply code (e.g. 451 or 550). */
  failNext(n: number, responseCode: number): void;
  /** Makes the next n DATA commands hang: the message is read and never answered (a stuck relay). */
  hangNext(n: number): void;
  stop(): Promise<void>;
}

/**
 * A real SMTP server on a free local port, plain text (no STARTTLS), recording every message. Login is
 * optional; when a client does log in it must use one of `users` (name -> password).
 */
export async function startSmtpServer(options: { users?: Record<string, string>; onMessage?: (mail: ReceivedMail) => void } = {}): Promise<TestSmtpServer> {
  const users = options.users ?? {};
  const messages: ReceivedMail[] = [];
  let failures = 0;
  let failureCode = 451;
  let hangs = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // Plain-text AUTH on a loopback test port: there is no TLS to protect it and nothing to protect.
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      if (auth.username !== undefined && users[auth.username] === auth.password) {
        callback(null, { user: auth.username });
        return;
      }
      callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (hangs > 0) {
          hangs--;
          return;
        }
        if (failures > 0) {
          failures--;
          const error = Object.assign(new Error(failureCode >= 500 ? 'mailbox unavailable' : 'try again later'), { responseCode: failureCode });
          callback(error);
          return;
        }
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined;
        const mail = { from, to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8'), user: typeof session.user === 'string' ? session.user : undefined };
        messages.push(mail);
        options.onMessage?.(mail);
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}?ignoreTLS=true`,
    messages,
    failNext(n, responseCode) {
      failures = n;
      failureCode = responseCode;
    },
    hangNext(n) {
      hangs = n;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
