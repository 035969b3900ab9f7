import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import { vendorUrlProblem } from '../../config/policy-schema';
import { formatProblems, problemsFromZod } from '../../config/problems';
import { FailureType } from '../../domain/failure-catalog';
import { activityCancellation } from '../heartbeat-ticker';

// One place that decides what a vendor HTTP failure means for Temporal: rate limits and server
// trouble are retried (by this helper for short Retry-After waits, then by the activity's retry
// policy), while a refused request (bad credentials, bad input, unknown id) is not, because retrying
// it cannot succeed and would only hide the problem until the activity times out.
// Redirects are never followed: fetch would re-send the vendor's key to wherever the Location points
// (another origin included), so a redirect is an error that says to configure the final URL. And a
// vendor URL must be https:// unless it is loopback.

/** A failed vendor call. A Temporal ApplicationFailure, so `nonRetryable` is honoured as thrown. */
export class VendorHttpError extends ApplicationFailure {
  constructor(
    readonly vendor: string,
    readonly status: number | undefined,
    message: string,
    retryable: boolean,
    nextRetryDelayMs?: number,
    cause?: Error,
  ) {
    // The type comes from the failure catalog: rate limits and 5xx are retried, a refusal is final.
    super(message, retryable ? FailureType.VendorUnavailable : FailureType.VendorRejected, !retryable, [{ vendor, status }], cause, nextRetryDelayMs);
  }

  get retryable(): boolean {
    return !this.nonRetryable;
  }
}

/** Bearer tokens that expire: headers for the next call, and a way to drop a token the vendor refused. */
export interface TokenSource {
  headers(): Promise<Record<string, string>>;
  /** Called on a 401; the next `headers()` fetches a fresh token. */
  invalidate(): void;
}

export interface HttpJsonOptions {
  /** Named in every error, e.g. `Tactical RMM`. */
  vendor: string;
  /** Everything before the request path, without a trailing slash. */
  baseUrl: string;
  /** Sent with every request (static auth headers). */
  headers?: Record<string, string>;
  /** Token auth: a 401 drops the token and the call is repeated once with a new one. */
  auth?: TokenSource;
  /** Waits for the vendor's request budget before each request (Datto's per-minute limits). */
  beforeRequest?: (method: string) => Promise<void>;
  timeoutMs?: number;
  /** How many 429s one call waits out itself before handing the retry to Temporal. */
  rateLimitRetries?: number;
  /** Longest Retry-After this helper sleeps through; longer ones go back to Temporal as nextRetryDelay. */
  maxRetryAfterMs?: number;
  /** Injected in tests that must not really sleep; defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

export interface RequestOptions<T> {
  query?: Record<string, string | number | boolean | undefined>;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded (Proxmox). */
  form?: Record<string, string | number | boolean>;
  /** Validates the response body; the vendor's answer is outside input like any other. */
  schema: z.ZodType<T>;
  /** For calls that wait on the far end (a remote command), longer than the helper's default. */
  timeoutMs?: number;
}

/** The retry and timeout knobs every adapter hands to its HTTP client unchanged. */
export type HttpTuning = Pick<HttpJsonOptions, 'timeoutMs' | 'rateLimitRetries' | 'maxRetryAfterMs' | 'sleep'>;

export function httpTuning(options: HttpTuning): HttpTuning {
  return { timeoutMs: options.timeoutMs, rateLimitRetries: options.rateLimitRetries, maxRetryAfterMs: options.maxRetryAfterMs, sleep: options.sleep };
}

export type HttpJson = <T>(method: string, path: string, options: RequestOptions<T>) => Promise<T>;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The vendor's own words: a bare JSON string (Tactical), a message/detail field, or the raw text. */
function vendorMessage(body: string): string {
  if (!body) return '(empty body)';
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'string') return parsed;
    if (parsed && typeof parsed === 'object') {
      const record = parsed as Record<string, unknown>;
      for (const field of ['message', 'detail', 'error_description', 'errors', 'error']) {
        const value = record[field];
        if (typeof value === 'string') return value;
        // Graph: { error: { code, message } }
        if (value && typeof value === 'object' && typeof (value as Record<string, unknown>).message === 'string') {
          const nested = value as Record<string, unknown>;
          return typeof nested.code === 'string' ? `${nested.code}: ${String(nested.message)}` : String(nested.message);
        }
      }
    }
  } catch {
    // not JSON: fall through to the text itself
  }
  return body.length > 300 ? `${body.slice(0, 297)}...` : body;
}

function credentialHint(status: number): string {
  return status === 401 || status === 403 ? ' (check the credentials configured for this vendor)' : '';
}

/** Thrown at construction: a vendor URL that would expose credentials. Not an ApplicationFailure: it is configuration. */
export class VendorUrlError extends Error {
  override readonly name = 'VendorUrlError';
}

export function assertVendorUrl(vendor: string, url: string): void {
  const problem = vendorUrlProblem(url);
  if (problem) throw new VendorUrlError(`${vendor}: ${problem}`);
}

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400 && status !== 304;
}

export function createHttpJson(options: HttpJsonOptions): HttpJson {
  const vendor = options.vendor;
  assertVendorUrl(vendor, options.baseUrl);
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const rateLimitRetries = options.rateLimitRetries ?? 3;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  const sleep = options.sleep ?? defaultSleep;

  return async function request<T>(method: string, path: string, request: RequestOptions<T>): Promise<T> {
    const url = new URL(`${baseUrl}${path}`);
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json', ...(options.headers ?? {}) };
    let body: string | undefined;
    if (request.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.json);
    } else if (request.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(Object.entries(request.form).map(([k, v]): [string, string] => [k, String(v)])).toString();
    }
    const what = `${vendor} ${method} ${url.pathname}`;
    const callTimeoutMs = request.timeoutMs ?? timeoutMs;

    let reauthenticated = false;
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      // Token and budget failures carry their own meaning (a refused login, a bad auth server): not wrapped.
      const auth = options.auth ? await options.auth.headers() : {};
      await options.beforeRequest?.(method);
      // An activity Temporal cancelled (or timed out) must not keep its request running beside the retry.
      const cancelled = activityCancellation();
      const timeout = AbortSignal.timeout(callTimeoutMs);
      const signal = cancelled ? AbortSignal.any([timeout, cancelled]) : timeout;
      try {
        response = await fetch(url, { method, headers: { ...headers, ...auth }, body, redirect: 'manual', signal });
      } catch (error) {
        const cause = error instanceof Error ? error : new Error(String(error));
        const reason = cancelled?.aborted ? 'aborted: the activity was cancelled' : cause.name === 'TimeoutError' ? `no answer within ${callTimeoutMs} ms` : cause.message;
        throw new VendorHttpError(vendor, undefined, `${what} failed: ${reason}`, true, undefined, cause);
      }
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        const cause = error instanceof Error ? error : new Error(String(error));
        throw new VendorHttpError(vendor, response.status, `${what} failed while reading the answer: ${cancelled?.aborted ? 'aborted: the activity was cancelled' : cause.message}`, true, undefined, cause);
      }

      if (isRedirect(response.status)) {
        const location = response.headers.get('location') ?? '(no Location header)';
        throw new VendorHttpError(
          vendor,
          response.status,
          `${what} answered with a redirect (HTTP ${response.status}) to ${location}; vendor calls do not follow redirects, so the credentials are not sent on: set the vendor URL to the final address`,
          false,
        );
      }
      if (response.status === 401 && options.auth && !reauthenticated) {
        // Tokens expire early (revoked, server restarted, clock skew): one fresh token, then give up.
        reauthenticated = true;
        options.auth.invalidate();
        continue;
      }

      if (response.status === 429) {
        const waitMs = parseRetryAfter(response.headers.get('retry-after')) ?? 1_000;
        if (attempt < rateLimitRetries && waitMs <= maxRetryAfterMs) {
          await sleep(waitMs);
          continue;
        }
        throw new VendorHttpError(vendor, 429, `${what} was rate limited (HTTP 429, Retry-After ${Math.ceil(waitMs / 1000)} s)`, true, waitMs);
      }
      if (response.status >= 500 || response.status === 408) {
        throw new VendorHttpError(vendor, response.status, `${what} failed with HTTP ${response.status}: ${vendorMessage(text)}`, true);
      }
      if (response.status >= 400) {
        throw new VendorHttpError(
          vendor,
          response.status,
          `${what} was refused with HTTP ${response.status}${credentialHint(response.status)}: ${vendorMessage(text)}`,
          false,
        );
      }

      let parsed: unknown = null;
      if (text) {
        try {
          parsed = JSON.parse(text);
        } catch {
          throw new VendorHttpError(vendor, response.status, `${what} answered HTTP ${response.status} with a body that is not JSON: ${vendorMessage(text)}`, false);
        }
      }
      const result = request.schema.safeParse(parsed);
      if (!result.success) {
        const problems = formatProblems(problemsFromZod(result.error, parsed, 'response')).replace(/\n/g, '; ');
        throw new VendorHttpError(vendor, response.status, `${what} answered with an unexpected shape: ${problems}`, false);
      }
      return result.data;
    }
  };
}
