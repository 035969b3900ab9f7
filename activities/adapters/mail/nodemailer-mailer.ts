import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { MailerPort, MailMessage } from '../../ports';
import { failure } from '../../../domain/failure-catalog';

// Two ways out: an SMTP relay (production) or an outbox directory of .eml files (the embedded demo
// and tests). Either way the Message-ID is ours and deterministic, so a retried send is recognisable:
// the outbox overwrites the same file, and an SMTP receiver can de-duplicate on the header.

export interface MailerOptions {
  /** smtp:// or smtps:// URL; transport options go in the query, e.g. `?requireTLS=true&pool=true`. */
  smtpUrl?: string;
  /** Directory that receives one .eml per message; used when no smtpUrl is given. */
  outboxDir?: string;
  from: string;
  /** File holding the SMTP password, so it never sits in the URL or the environment. */
  smtpPasswordFile?: string;
  /**
   * Longest silence from the relay before the send fails (retryable). It must stay below the notice
   * activity's 1-minute timeout: nodemailer's own default is an hour, so a hung relay outlived the
   * attempt and the retry mailed everyone a second time.
   */
  timeoutMs?: number;
}

export const SMTP_TIMEOUT_MS = 30_000;

/** The Message-ID header wants `<local@domain>`; ours may come without the angle brackets. */
export function messageIdHeader(messageId: string): string {
  const bare = messageId.replace(/^<|>$/g, '');
  return `<${bare}>`;
}

/**
 * A file name that is safe on every filesystem and still unique per message id: the readable part is
 * sanitised, and a hash of the exact id keeps two ids that sanitise alike apart.
 */
export function outboxFileName(messageId: string): string {
  const bare = messageId.replace(/^<|>$/g, '');
  const readable = bare.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120);
  const digest = createHash('sha256').update(bare).digest('hex').slice(0, 10);
  return `${readable}-${digest}.eml`;
}

function checkMessage(message: MailMessage): void {
  if (!message.messageId.trim()) throw failure('InvalidInput', 'mail messageId must not be empty');
  if (message.to.length === 0) {
    throw failure('InvalidInput', `mail "${message.subject}" has no recipients (to: [])`);
  }
}

/** SMTP 5xx and bad credentials do not get better by retrying; 4xx and lost connections may. */
function smtpFailure(error: unknown): Error {
  const err = error as { message?: string; responseCode?: number; code?: string };
  const message = `SMTP send failed: ${err.message ?? String(error)}`;
  const permanent = (typeof err.responseCode === 'number' && err.responseCode >= 500) || err.code === 'EAUTH' || err.code === 'EENVELOPE';
  return failure(permanent ? 'VendorRejected' : 'VendorUnavailable', message, { cause: error instanceof Error ? error : undefined });
}

function mailOptions(from: string, message: MailMessage): nodemailer.SendMailOptions {
  return { from, to: message.to, subject: message.subject, text: message.text, messageId: messageIdHeader(message.messageId), attachments: message.attachments };
}

function smtpUrlWithPassword(smtpUrl: string, passwordFile: string | undefined): string {
  if (!passwordFile) return smtpUrl;
  let password: string;
  try {
    password = readFileSync(passwordFile, 'utf8').trim();
  } catch (error) {
    throw new Error(`cannot read the SMTP password file "${passwordFile}": ${(error as Error).message}`);
  }
  const url = new URL(smtpUrl);
  if (!url.username) throw new Error(`SMTP URL must name a user (smtp://USER@host:587) when a password file is given, got "${url.host}"`);
  url.password = encodeURIComponent(password);
  return url.toString();
}

/**
 * nodemailer drops every other option when it is given a URL, but reads numeric query parameters:
 * the timeouts go there, unless the operator's URL already sets them.
 */
function withTimeouts(smtpUrl: string, timeoutMs: number): string {
  const url = new URL(smtpUrl);
  const defaults = { connectionTimeout: Math.min(10_000, timeoutMs), greetingTimeout: Math.min(10_000, timeoutMs), socketTimeout: timeoutMs };
  for (const [name, value] of Object.entries(defaults)) {
    if (!url.searchParams.has(name)) url.searchParams.set(name, String(value));
  }
  return url.toString();
}

export function createMailer(options: MailerOptions): MailerPort {
  if (options.smtpUrl) {
    if (!/^smtps?:\/\//.test(options.smtpUrl)) throw new Error('smtpUrl must be an smtp:// or smtps:// URL');
    const timeoutMs = options.timeoutMs ?? SMTP_TIMEOUT_MS;
    const transport = nodemailer.createTransport(withTimeouts(smtpUrlWithPassword(options.smtpUrl, options.smtpPasswordFile), timeoutMs));
    return {
      async send(message) {
        checkMessage(message);
        try {
          await transport.sendMail(mailOptions(options.from, message));
        } catch (error) {
          throw smtpFailure(error);
        }
      },
    };
  }

  if (options.outboxDir) {
    const outboxDir = options.outboxDir;
    mkdirSync(outboxDir, { recursive: true });
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
    return {
      async send(message) {
        checkMessage(message);
        const info = await transport.sendMail(mailOptions(options.from, message));
        const target = join(outboxDir, outboxFileName(message.messageId));
        // A reader never sees half a message: write beside it, then rename over it in one step.
        const temp = `${target}.${process.pid}.${Date.now()}.tmp`;
        await writeFile(temp, info.message as Buffer);
        await rename(temp, target);
      },
    };
  }

  throw new Error('mailer needs either smtpUrl (SMTP_URL) or outboxDir (PATCHCTL_OUTBOX_DIR)');
}
