import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { problemsFromZod } from '../../config/problems';
import { triageAlertSchema } from '../../domain/triage/alert-schema';
import type { TriageAlert } from '../../domain/triage/triage';
import type { StartedTriage } from '../cli/triage/start-triage';

// The credential-alert webhook: exposure monitoring posts an alert, patchctl starts its triage.
// Authenticated by HMAC-SHA256 over "<timestamp>.<raw body>" with a shared secret; a delivery is
// accepted only inside the replay window around its timestamp, and only once.

export const TRIAGE_WEBHOOK_PATH = '/webhooks/credential-alert';
export const TIMESTAMP_HEADER = 'x-patchctl-timestamp';
export const SIGNATURE_HEADER = 'x-patchctl-signature';
export const DEFAULT_REPLAY_WINDOW_MS = 5 * 60_000;

export interface TriageWebhookOptions {
  secret: string;
  /** Accepted skew between the sender's timestamp and our clock, either way. Default 5 minutes. */
  replayWindowMs?: number;
  now?: () => number;
  /** Records a delivery by its signature; false when it was recorded before (a replay). */
  rememberDelivery(signature: string, forgetBefore: Date): Promise<boolean>;
  knownClients: readonly string[];
  startTriage(alert: TriageAlert): Promise<StartedTriage>;
}

/** The signature header value for a body sent at `timestamp` (Unix seconds). */
export function signTriageWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

function sameSignature(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `app.register(triageWebhook, options)`: one POST route at TRIAGE_WEBHOOK_PATH. It reads JSON
 * bodies as text inside its own encapsulation context (the HMAC is over the exact bytes), so the
 * parsers of the server it is registered on are untouched.
 */
export const triageWebhook: FastifyPluginAsync<TriageWebhookOptions> = async (app, options) => {
  const windowMs = options.replayWindowMs ?? DEFAULT_REPLAY_WINDOW_MS;
  const now = options.now ?? Date.now;
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => done(null, body));

  app.post(TRIAGE_WEBHOOK_PATH, async (request, reply) => {
    const body = typeof request.body === 'string' ? request.body : '';
    const stamp = request.headers[TIMESTAMP_HEADER];
    const signature = request.headers[SIGNATURE_HEADER];
    if (typeof stamp !== 'string' || !/^\d{1,12}$/.test(stamp) || typeof signature !== 'string') {
      return reply.code(401).send({ error: `missing or malformed ${TIMESTAMP_HEADER} (Unix seconds) or ${SIGNATURE_HEADER} (sha256=<hex>) header` });
    }
    const sentAt = Number(stamp) * 1000;
    if (Math.abs(now() - sentAt) > windowMs) {
      return reply.code(401).send({ error: `${TIMESTAMP_HEADER} ${stamp} is outside the replay window of ${windowMs / 1000}s around ${Math.floor(now() / 1000)}` });
    }
    if (!sameSignature(signTriageWebhook(options.secret, Number(stamp), body), signature)) {
      return reply.code(401).send({ error: `${SIGNATURE_HEADER} does not match the HMAC-SHA256 of "<timestamp>.<body>" under the shared secret` });
    }
    if (!(await options.rememberDelivery(signature, new Date(now() - 2 * windowMs)))) {
      return reply.code(409).send({ error: 'this delivery (same timestamp, body and signature) was already received' });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      return reply.code(400).send({ error: `the body is not JSON: ${(error as Error).message}`, problems: [] });
    }
    const alert = triageAlertSchema.safeParse(parsed);
    if (!alert.success) {
      const problems = problemsFromZod(alert.error, parsed, '', triageAlertSchema);
      return reply.code(400).send({ error: `invalid credential alert: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems });
    }
    if (!options.knownClients.includes(alert.data.clientId)) {
      const problems = [{ path: 'clientId', message: `no client "${alert.data.clientId}" in the policy; known: ${options.knownClients.join(', ')}` }];
      return reply.code(400).send({ error: `invalid credential alert: clientId: ${problems[0]!.message}`, problems });
    }
    const started = await options.startTriage(alert.data);
    return reply.code(202).send(started);
  });
};
