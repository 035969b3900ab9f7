import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rememberWebhookDelivery } from '../../activities/store/triage-store';
import type { TriageAlert } from '../../domain/triage/triage';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, TRIAGE_WEBHOOK_PATH, signTriageWebhook, triageWebhook } from '../../client/web/triage-webhook';
import { createTestDatabase, type TestDatabase } from '../support/database';

// The webhook over real HTTP on its own fastify instance, with the replay memory in PostgreSQL.

const SECRET = 'test-webhook-secret-0123456789';
let db: TestDatabase;
let app: FastifyInstance;
let url: string;
const started: TriageAlert[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  app = Fastify();
  await app.register(triageWebhook, {
    secret: SECRET,
    knownClients: ['clinic'],
    rememberDelivery: (signature, forgetBefore) => rememberWebhookDelivery(db.pool, signature, forgetBefore),
    startTriage: async (alert) => {
      started.push(alert);
      return { ref: `clinic/20261202-abc1234`, triageId: '20261202-abc1234', workflowId: 'triage/clinic/20261202-abc1234', duplicate: false };
    },
  });
  url = `${await app.listen({ host: '127.0.0.1', port: 0 })}${TRIAGE_WEBHOOK_PATH}`;
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});
beforeEach(() => {
  started.length = 0;
});

const seconds = () => Math.floor(Date.now() / 1000);

async function post(body: string, headers: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

function signed(body: string, timestamp = seconds(), secret = SECRET): Record<string, string> {
  return { [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: signTriageWebhook(secret, timestamp, body) };
}

const alertBody = (over: Record<string, unknown> = {}) => JSON.stringify({ clientId: 'clinic', user: 'jane@clinic.test', kind: 'leaked-credential', alertId: `a-${Math.random()}`, ...over });

describe('credential-alert webhook', () => {
  it('accepts a correctly signed alert and starts its triage', async () => {
    const body = alertBody({ summary: 'seen in a paste' });
    const answer = await post(body, signed(body));
    expect(answer).toMatchObject({ status: 202, json: { ref: 'clinic/20261202-abc1234', duplicate: false } });
    expect(started).toEqual([expect.objectContaining({ clientId: 'clinic', user: 'jane@clinic.test', kind: 'leaked-credential', summary: 'seen in a paste' })]);
  });

  it('refuses the same delivery replayed with 409', async () => {
    const body = alertBody();
    const headers = signed(body);
    expect((await post(body, headers)).status).toBe(202);
    const replay = await post(body, headers);
    expect(replay.status).toBe(409);
    expect(replay.json.error).toMatch(/already received/);
    expect(started).toHaveLength(1);
  });

  it('refuses a wrong signature, a tampered body and a missing signature with 401', async () => {
    const body = alertBody();
    expect((await post(body, signed(body, seconds(), 'another-secret'))).status).toBe(401);
    const tampered = await post(alertBody({ user: 'mallory@clinic.test' }), signed(body));
    expect(tampered.status).toBe(401);
    expect(tampered.json.error).toMatch(/does not match the HMAC-SHA256/);
    const unsigned = await post(body, {});
    expect(unsigned.status).toBe(401);
    expect(unsigned.json.error).toMatch(new RegExp(TIMESTAMP_HEADER));
    expect(started).toEqual([]);
  });

  it('refuses a correctly signed delivery outside the replay window with 401', async () => {
    const body = alertBody();
    for (const timestamp of [seconds() - 6 * 60, seconds() + 6 * 60]) {
      const answer = await post(body, signed(body, timestamp));
      expect(answer.status).toBe(401);
      expect(answer.json.error).toMatch(/outside the replay window/);
    }
    expect(started).toEqual([]);
  });

  it('refuses a malformed alert with 400, naming the field', async () => {
    const badUser = alertBody({ user: 'not-an-address' });
    const answer = await post(badUser, signed(badUser));
    expect(answer.status).toBe(400);
    expect(answer.json.problems).toEqual([expect.objectContaining({ path: 'user', message: expect.stringMatching(/user principal name/) })]);

    const badKind = alertBody({ kind: 'virus' });
    expect((await post(badKind, signed(badKind))).json.problems).toEqual([expect.objectContaining({ path: 'kind' })]);

    const unknownClient = alertBody({ clientId: 'nobody' });
    const unknown = await post(unknownClient, signed(unknownClient));
    expect(unknown).toMatchObject({ status: 400, json: { problems: [{ path: 'clientId', message: expect.stringMatching(/no client "nobody"/) }] } });

    const notJson = '{"clientId": ';
    const broken = await post(notJson, signed(notJson));
    expect(broken.status).toBe(400);
    expect(broken.json.error).toMatch(/not JSON/);
    expect(started).toEqual([]);
  });
});
