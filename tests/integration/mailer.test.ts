import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailer } from '../../activities/adapters/mail/nodemailer-mailer';
import { withSentLedger } from '../../activities/adapters/mail/sent-ledger';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

const message = {
  messageId: 'approval-request.cycle-acme-dental-c1.pilot@patchctl',
  to: ['lead@msp.example'],
  subject: 'Approve promotion of cycle c1 to pilot',
  text: 'Canary passed: 5 of 5 verified.',
};

let smtp: TestSmtpServer;
let dir: string;

beforeAll(async () => {
  smtp = await startSmtpServer({ users: { patchctl: 's3cret' } });
  dir = await mkdtemp(join(tmpdir(), 'patchctl-mailer-'));
});

afterAll(async () => {
  await smtp?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('mailer over SMTP', () => {
  it('delivers the message with our deterministic Message-ID', async () => {
    const mailer = createMailer({ smtpUrl: smtp.url, from: 'patchctl@msp.example' });
    await mailer.send(message);
    const received = smtp.messages.at(-1)!;
    expect(received.to).toEqual(['lead@msp.example']);
    expect(received.from).toBe('patchctl@msp.example');
    expect(received.raw).toMatch(/^Message-ID: <approval-request\.cycle-acme-dental-c1\.pilot@patchctl>$/im);
    expect(received.raw).toContain('Subject: Approve promotion of cycle c1 to pilot');
    expect(received.raw).toContain('Canary passed: 5 of 5 verified.');
  });

  it('authenticates with the password from a file', async () => {
    const passwordFile = join(dir, 'smtp-password');
    await writeFile(passwordFile, 's3cret\n');
    const before = smtp.messages.length;
    const mailer = createMailer({ smtpUrl: `smtp://patchctl@127.0.0.1:${smtp.port}?ignoreTLS=true`, smtpPasswordFile: passwordFile, from: 'patchctl@msp.example' });
    await mailer.send({ ...message, messageId: 'with-auth@patchctl' });
    expect(smtp.messages.length).toBe(before + 1);
    expect(smtp.messages.at(-1)!.user).toBe('patchctl');

    await writeFile(passwordFile, 'wrong\n');
    const refused = createMailer({ smtpUrl: `smtp://patchctl@127.0.0.1:${smtp.port}?ignoreTLS=true`, smtpPasswordFile: passwordFile, from: 'patchctl@msp.example' });
    await expect(refused.send(message)).rejects.toMatchObject({ nonRetryable: true, message: expect.stringMatching(/535/) });
  });

  it('reports a permanent SMTP refusal as non-retryable and a temporary one as retryable', async () => {
    const mailer = createMailer({ smtpUrl: smtp.url, from: 'patchctl@msp.example' });
    smtp.failNext(1, 550);
    await expect(mailer.send(message)).rejects.toMatchObject({ nonRetryable: true, message: expect.stringMatching(/SMTP send failed.*550/) });
    smtp.failNext(1, 451);
    await expect(mailer.send(message)).rejects.toMatchObject({ nonRetryable: false });
  });
});

describe('mailer against a relay that stops answering', () => {
  it('gives up within its own timeout with a retryable failure, instead of outliving the activity', async () => {
    const mailer = createMailer({ smtpUrl: smtp.url, from: 'patchctl@msp.example', timeoutMs: 300 });
    smtp.hangNext(1);
    await expect(mailer.send({ ...message, messageId: 'hung-relay@patchctl' })).rejects.toMatchObject({
      type: 'VendorUnavailable',
      nonRetryable: false,
      message: expect.stringMatching(/SMTP send failed/),
    });
  });
});

describe('mail through the sent ledger', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('mails each Message-ID once across retries of the notice activity', async () => {
    const mailer = withSentLedger(createMailer({ smtpUrl: smtp.url, from: 'patchctl@msp.example' }), db.pool);
    const before = smtp.messages.length;
    const notice = { ...message, messageId: 'gate-breach.cycle-acme-dental-c9.canary@patchctl' };
    await mailer.send(notice);
    // The retry of an attempt that sent the mail and then lost its worker.
    await mailer.send(notice);
    await mailer.send({ ...notice, messageId: 'gate-breach.cycle-acme-dental-c9.pilot@patchctl' });
    expect(smtp.messages.length - before).toBe(2);
  });

  it('sends again after a failed attempt: only an accepted message is in the ledger', async () => {
    const mailer = withSentLedger(createMailer({ smtpUrl: smtp.url, from: 'patchctl@msp.example' }), db.pool);
    const before = smtp.messages.length;
    const notice = { ...message, messageId: 'promotion-reminder.cycle-acme-dental-c9.pilot@patchctl' };
    smtp.failNext(1, 451);
    await expect(mailer.send(notice)).rejects.toMatchObject({ nonRetryable: false });
    await mailer.send(notice);
    expect(smtp.messages.length - before).toBe(1);
  });
});

describe('mailer to an outbox directory', () => {
  it('writes one .eml per message id and overwrites it on a re-send', async () => {
    const outboxDir = join(dir, 'outbox');
    const mailer = createMailer({ outboxDir, from: 'patchctl@msp.example' });
    await mailer.send(message);
    await mailer.send({ ...message, text: 'Canary passed (re-sent).' });
    await mailer.send({ ...message, messageId: 'other@patchctl' });
    const files = (await readdir(outboxDir)).sort();
    expect(files).toHaveLength(2);
    expect(files.every((f) => f.endsWith('.eml'))).toBe(true);
    const first = files.find((f) => f.startsWith('approval-request'))!;
    const eml = await readFile(join(outboxDir, first), 'utf8');
    expect(eml).toMatch(/^Message-ID: <approval-request\.cycle-acme-dental-c1\.pilot@patchctl>$/im);
    expect(eml).toContain('To: lead@msp.example');
    expect(eml).toContain('Canary passed (re-sent).');
  });

  it('refuses a message without recipients', async () => {
    const mailer = createMailer({ outboxDir: join(dir, 'outbox2'), from: 'patchctl@msp.example' });
    await expect(mailer.send({ ...message, to: [] })).rejects.toThrow(/no recipients/);
  });
});
