import { FailureType } from '../../../domain/failure-catalog';
import { assertVendorUrl, parseRetryAfter, VendorHttpError, type HttpTuning } from '../http-json';

// Incoming webhooks (Slack, Microsoft Teams) answer in text, not JSON ("ok", "1", or nothing), so they
// get this small poster instead of createHttpJson; the meaning of a status is the same as for every
// adapter: 429 waited out here for a short Retry-After, then handed to Temporal; 5xx and timeouts
// retried; any other 4xx refused for good. The URL is the credential: errors never show it.

export type ChatChannelKind = 'slack' | 'teams';

/** One message to a chat channel; `key` is stable across retries, so a ledger can send it once. */
export interface ChatMessage {
  key: string;
  title: string;
  text: string;
}

export interface ChatChannel {
  kind: ChatChannelKind;
  post(message: ChatMessage): Promise<void>;
}

export interface WebhookPost {
  /** Named in errors, e.g. `Slack webhook (client clinic)`. */
  vendor: string;
  url: string;
  payload: unknown;
  /** Whether the answer is the service's "accepted". */
  accepted(status: number, body: string): boolean;
  tuning?: HttpTuning;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function shown(body: string): string {
  const text = body.trim() || '(empty body)';
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

export async function postWebhook(post: WebhookPost): Promise<void> {
  assertVendorUrl(post.vendor, post.url);
  const timeoutMs = post.tuning?.timeoutMs ?? 15_000;
  const rateLimitRetries = post.tuning?.rateLimitRetries ?? 3;
  const maxRetryAfterMs = post.tuning?.maxRetryAfterMs ?? 30_000;
  const sleep = post.tuning?.sleep ?? defaultSleep;
  const body = JSON.stringify(post.payload);
  for (let attempt = 0; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(post.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const cause = error instanceof Error ? error : new Error(String(error));
      const reason = cause.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : cause.message;
      throw new VendorHttpError(post.vendor, undefined, `${post.vendor} post failed: ${reason}`, true, undefined, cause);
    }
    const text = await response.text();
    if (post.accepted(response.status, text)) return;
    if (response.status === 429) {
      const waitMs = parseRetryAfter(response.headers.get('retry-after')) ?? 1_000;
      if (attempt < rateLimitRetries && waitMs <= maxRetryAfterMs) {
        await sleep(waitMs);
        continue;
      }
      throw new VendorHttpError(post.vendor, 429, `${post.vendor} was rate limited (HTTP 429, Retry-After ${Math.ceil(waitMs / 1000)} s)`, true, waitMs);
    }
    if (response.status >= 500 || response.status === 408) throw new VendorHttpError(post.vendor, response.status, `${post.vendor} failed with HTTP ${response.status}: ${shown(text)}`, true);
    if (response.status >= 300 && response.status < 400) {
      throw new VendorHttpError(post.vendor, response.status, `${post.vendor} answered with a redirect (HTTP ${response.status}); configure the final webhook URL`, false);
    }
    throw new VendorHttpError(post.vendor, response.status, `${post.vendor} refused the message with HTTP ${response.status}: ${shown(text)} (check the webhook URL and the payload)`, false);
  }
}

/** A refusal that retrying cannot fix (bad payload, deleted webhook), as opposed to a rate limit or an outage. */
export function isPermanentChatFailure(error: unknown): boolean {
  return error instanceof VendorHttpError && error.type === FailureType.VendorRejected;
}
