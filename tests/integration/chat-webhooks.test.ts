import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildChatChannels } from '../../activities/adapters/chat/chat-channels';
import { createSlackWebhook } from '../../activities/adapters/chat/slack-webhook';
import { createMailer } from '../../activities/adapters/mail/nodemailer-mailer';
import { withSentLedger } from '../../activities/adapters/mail/sent-ledger';
import type { ActivityDeps } from '../../activities/deps';
import { CHAT_ATTEMPTS, sendNotice } from '../../activities/shared/send-notice';
import type { PatchPolicy } from '../../config/policy-schema';
import { cycleEnded, gateBreached, promotionRequest } from '../../domain/notices';
import { loadTestPolicy } from '../support/cycle-harness';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startFakeServer, type FakeRequest, type FakeResponse, type FakeServer } from '../support/fakes/fake-http';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

// Slack and Teams incoming webhooks as their documentation describes them, on a local node:http
// server: Slack answers 200 "ok", 400 invalid_payload, 404 no_service; Teams (Workflows) 202 Accepted
// or 400 for a payload it cannot read; both 429 with Retry-After and 5xx. The notice activity runs in
// a mock activity context (its attempt number matters), with real PostgreSQL ledgers and real SMTP.

const SLACK_PATH = '/services/T0001/B0001/abcdefghijklmnop';
const TEAMS_PATH = '/workflows/1f2e/triggers/manual/paths/invoke';

function vendorAnswer(request: FakeRequest): FakeResponse {
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(request.body) as Record<string, unknown>;
  } catch {
    // an unreadable body is refused below like an empty one
  }
  if (request.path === SLACK_PATH) return typeof json.text === 'string' && json.text.trim() ? { status: 200, raw: 'ok' } : { status: 400, raw: 'invalid_payload' };
  if (request.path === TEAMS_PATH) {
    const attachments = json.attachments as Array<{ contentType?: string }> | undefined;
    return json.type === 'message' && attachments?.[0]?.contentType === 'application/vnd.microsoft.card.adaptive' ? { status: 202, raw: '' } : { status: 400, raw: 'Bad payload received by generic incoming webhook.' };
  }
  return { status: 404, raw: 'no_service' };
}

let fake: FakeServer;
let smtp: TestSmtpServer;
let db: TestDatabase;
const sleeps: number[] = [];
const warnings: string[] = [];

beforeAll(async () => {
  fake = await startFakeServer(vendorAnswer);
  smtp = await startSmtpServer();
  db = await createTestDatabase();
});
afterAll(async () => {
  await fake?.stop();
  await smtp?.stop();
  await db?.drop();
});
afterEach(() => {
  fake.calls.length = 0;
  smtp.messages.length = 0;
  sleeps.length = 0;
  warnings.length = 0;
});

function policyWithChat(events?: PatchPolicy['clients'][number]['chat']): PatchPolicy {
  const policy = loadTestPolicy();
  policy.clients[0]!.chat = events ?? { channels: ['slack', 'teams'], events: ['gate-breached', 'promotion-waiting', 'rollback'] };
  return policy;
}

function deps(policy: PatchPolicy, slackPath = SLACK_PATH): ActivityDeps {
  const env = { PATCHCTL_CHAT_WEBHOOKS: JSON.stringify({ clinic: { slack: `${fake.url}${slackPath}`, teams: `${fake.url}${TEAMS_PATH}` } }) };
  return {
    db: db.pool,
    policy,
    adaptersFor: () => {
      throw new Error('no vendor adapters in this test');
    },
    mailer: withSentLedger(createMailer({ from: policy.msp.mailFrom, smtpUrl: smtp.url }), db.pool),
    chatFor: buildChatChannels({ policy, env, db: db.pool, tuning: { sleep: async (ms) => void sleeps.push(ms), maxRetryAfterMs: 10_000 } }),
  };
}

/** sendNotice as Temporal runs it: attempt n of the activity. */
function attempt(n: number, d: ActivityDeps, notice: Parameters<typeof sendNotice>[1]): Promise<void> {
  const quiet = () => undefined;
  const logger = { log: quiet, trace: quiet, debug: quiet, info: quiet, error: quiet, warn: (message: string) => void warnings.push(message) };
  const env = new MockActivityEnvironment({ attempt: n }, { logger });
  return env.run(() => sendNotice(d, notice));
}

let n = 0;
const cycle = () => `cycle/clinic/chat-${++n}`;
const posts = (path: string) => fake.calls.filter((c) => c.path === path);

describe('chat notices', () => {
  it('posts a gate breach to Slack and Teams once, however often the activity is retried', async () => {
    const d = deps(policyWithChat());
    const notice = gateBreached(cycle(), 'canary', 1, ['lead@msp.test'], '2 of 3 failed', 'T-7', '2026-12-02T10:00:00Z');
    await attempt(1, d, notice);
    await attempt(2, d, notice);
    expect(posts(SLACK_PATH)).toHaveLength(1);
    expect(JSON.parse(posts(SLACK_PATH)[0]!.body).text).toContain('canary gate breached');
    expect(posts(TEAMS_PATH)).toHaveLength(1);
    expect(JSON.parse(posts(TEAMS_PATH)[0]!.body).attachments[0].content.body[0].text).toContain('canary gate breached');
    expect(smtp.messages).toHaveLength(1);
  });

  it('waits out a short 429 Retry-After within the call', async () => {
    const d = deps(policyWithChat());
    fake.answerNext({ status: 429, raw: 'rate_limited', headers: { 'retry-after': '2' } }, SLACK_PATH);
    await attempt(1, d, promotionRequest(cycle(), 'pilot', ['lead@msp.test'], 'policy requires approval'));
    expect(sleeps).toEqual([2000]);
    expect(posts(SLACK_PATH).map((c) => c.status)).toEqual([429, 200]);
  });

  it('hands a long Retry-After and a 5xx back to Temporal, then delivers on the retry without mailing twice', async () => {
    const d = deps(policyWithChat());
    const notice = cycleEnded(cycle(), ['lead@msp.test'], 'rolled-back', 'canary gate breached');
    fake.answerNext({ status: 429, raw: '', headers: { 'retry-after': '60' } }, TEAMS_PATH);
    await expect(attempt(1, d, notice)).rejects.toMatchObject({ message: expect.stringContaining('rate limited (HTTP 429, Retry-After 60 s)'), nonRetryable: false });
    fake.answerNext({ status: 503, raw: 'Service Unavailable' }, TEAMS_PATH);
    await expect(attempt(2, d, notice)).rejects.toMatchObject({ message: expect.stringContaining('HTTP 503'), nonRetryable: false });
    await attempt(3, d, notice);
    expect(posts(SLACK_PATH)).toHaveLength(1);
    expect(posts(TEAMS_PATH).map((c) => c.status)).toEqual([429, 503, 202]);
    expect(smtp.messages).toHaveLength(1);
  });

  it('logs a refused payload or an unknown webhook and never fails the notice', async () => {
    const d = deps(policyWithChat(), '/services/T0001/B0001/deleted');
    fake.answerNext({ status: 400, raw: 'Bad payload received by generic incoming webhook.' }, TEAMS_PATH);
    await attempt(1, d, gateBreached(cycle(), 'pilot', 1, ['lead@msp.test'], 'r', 'T-8', '2026-12-02T10:00:00Z'));
    expect(posts('/services/T0001/B0001/deleted').map((c) => c.status)).toEqual([404]);
    expect(warnings.join('\n')).toContain('refused the message with HTTP 404: no_service');
    expect(warnings.join('\n')).toContain('refused the message with HTTP 400: Bad payload received');
    expect(smtp.messages).toHaveLength(1);
  });

  it(`stops holding a notice back after ${CHAT_ATTEMPTS} attempts of an outage`, async () => {
    const d = deps(policyWithChat({ channels: ['slack'], events: ['gate-breached'] }));
    fake.answerNext({ status: 500, raw: 'internal' }, SLACK_PATH);
    await attempt(CHAT_ATTEMPTS, d, gateBreached(cycle(), 'pilot', 1, ['lead@msp.test'], 'r', 'T-9', '2026-12-02T10:00:00Z'));
    expect(warnings.join('\n')).toContain('HTTP 500');
  });

  it('posts only the events the client chose', async () => {
    const d = deps(policyWithChat({ channels: ['slack'], events: ['rollback'] }));
    await attempt(1, d, promotionRequest(cycle(), 'pilot', ['lead@msp.test'], 'policy requires approval'));
    expect(fake.calls).toEqual([]);
    expect(smtp.messages).toHaveLength(1);
  });

  it('requires https except on loopback, a 0600 webhooks file and a URL for every chosen channel', () => {
    expect(() => createSlackWebhook('http://hooks.slack.com/services/T/B/x', 'clinic')).toThrow(/must use https:\/\//);
    const file = join(mkdtempSync(join(tmpdir(), 'patchctl-chat-')), 'webhooks.json');
    writeFileSync(file, JSON.stringify({ clinic: { slack: 'https://hooks.slack.com/services/T/B/x' } }));
    chmodSync(file, 0o644);
    const policy = policyWithChat({ channels: ['slack', 'teams'], events: ['rollback'] });
    expect(() => buildChatChannels({ policy, env: { PATCHCTL_CHAT_WEBHOOKS_FILE: file }, db: db.pool })).toThrow(/readable by other users \(mode 0644\)/);
    chmodSync(file, 0o600);
    expect(() => buildChatChannels({ policy, env: { PATCHCTL_CHAT_WEBHOOKS_FILE: file }, db: db.pool })).toThrow(/selects teams chat, but PATCHCTL_CHAT_WEBHOOKS\(_FILE\) has no teams URL/);
    expect(() => buildChatChannels({ policy, env: { PATCHCTL_CHAT_WEBHOOKS: '{"clinic": {"slak": "x"}}' }, db: db.pool })).toThrow(/slak/);
  });
});
