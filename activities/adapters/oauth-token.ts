import { z } from 'zod';
import { createHttpJson, type TokenSource } from './http-json';

// OAuth2 tokens for vendors that issue them from a token endpoint (NinjaOne, Datto RMM, HaloPSA).
// A token is reused until shortly before it expires, one request at a time fetches a new one, and a
// 401 from the API drops it (http-json then retries once): a token can die before its expiry.

export interface OAuthTokenOptions {
  vendor: string;
  /** The token endpoint, e.g. https://eu.ninjarmm.com/ws/oauth/token?tenant=x */
  tokenUrl: string;
  /** The grant's form fields (grant_type, client_id, client_secret, scope …). */
  form: Record<string, string>;
  /** HTTP Basic credentials of the client itself (Datto's `public-client:public`). */
  basicAuth?: { user: string; password: string };
  /** Renew this long before the announced expiry (default 5 min), so a call never leaves with a token about to die. */
  refreshMarginMs?: number;
  /** When the vendor omits expires_in. */
  defaultLifetimeMs?: number;
  now?: () => number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const tokenSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive().optional(),
});

export interface OAuthTokenSource extends TokenSource {
  /** How many tokens were fetched (for tests and logs). */
  readonly fetched: number;
}

export function createOAuthTokenSource(options: OAuthTokenOptions): OAuthTokenSource {
  const url = new URL(options.tokenUrl);
  const headers: Record<string, string> = {};
  if (options.basicAuth) {
    headers.Authorization = `Basic ${Buffer.from(`${options.basicAuth.user}:${options.basicAuth.password}`).toString('base64')}`;
  }
  const http = createHttpJson({ vendor: options.vendor, baseUrl: url.origin, headers, timeoutMs: options.timeoutMs, sleep: options.sleep });
  const now = options.now ?? Date.now;
  const margin = options.refreshMarginMs ?? 300_000;
  let token: { value: string; expiresAt: number } | undefined;
  let inFlight: Promise<string> | undefined;
  let fetched = 0;

  const fetchToken = async (): Promise<string> => {
    const query = Object.fromEntries(url.searchParams);
    const answer = await http('POST', url.pathname, { query, form: options.form, schema: tokenSchema });
    fetched++;
    const lifetimeMs = answer.expires_in !== undefined ? answer.expires_in * 1000 : (options.defaultLifetimeMs ?? 3_600_000);
    token = { value: answer.access_token, expiresAt: now() + lifetimeMs };
    return answer.access_token;
  };

  return {
    get fetched() {
      return fetched;
    },
    async headers() {
      if (!token || now() >= token.expiresAt - margin) {
        inFlight ??= fetchToken().finally(() => {
          inFlight = undefined;
        });
        await inFlight;
      }
      return { Authorization: `Bearer ${token!.value}` };
    },
    invalidate() {
      token = undefined;
    },
  };
}
