import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// The bits every vendor fake shares: a real node:http server on a free loopback port, a log of the
// calls it answered, and a one-shot 429 to prove adapters honour Retry-After.

export interface RecordedCall {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
  status: number;
}

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface FakeResponse {
  status: number;
  /** Sent as JSON (a string becomes a bare JSON string, as Tactical does). */
  body?: unknown;
  /** Sent as is instead of `body` (malformed answers). */
  raw?: string;
  /** Answer only after this long (timeouts). */
  delayMs?: number;
  headers?: Record<string, string>;
}

export interface FakeServer {
  url: string;
  calls: RecordedCall[];
  /** Most requests the server was answering at one time (a measure of the client's concurrency). */
  readonly peakConcurrent: number;
  /** Requests whose client went away before the (delayed) answer was sent: aborted on our side. */
  readonly abortedCalls: number;
  /** The next request is answered 429 with this Retry-After (seconds), then things go back to normal. */
  rateLimitNext(retryAfterSeconds: number): void;
  /** The next request matching `path` (any when omitted) gets this answer instead of the vendor's. */
  answerNext(response: FakeResponse, path?: string | RegExp): void;
  stop(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, response: FakeResponse): void {
  const body = response.raw ?? (response.body === undefined ? '' : JSON.stringify(response.body));
  res.writeHead(response.status, { 'content-type': 'application/json', ...response.headers });
  res.end(body);
}

export async function startFakeServer(handle: (request: FakeRequest) => FakeResponse): Promise<FakeServer> {
  const calls: RecordedCall[] = [];
  let aborted = 0;
  let inFlight = 0;
  let peak = 0;
  let rateLimit: number | undefined;
  const overrides: { response: FakeResponse; path?: string | RegExp }[] = [];
  const matches = (path: string, pattern?: string | RegExp) => pattern === undefined || (typeof pattern === 'string' ? path === pattern : pattern.test(path));
  const server = createServer((req, res) => {
    void (async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      res.on('close', () => inFlight--);
      const url = new URL(req.url ?? '/', 'http://fake');
      const request: FakeRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: await readBody(req) };
      let response: FakeResponse;
      const override = overrides.findIndex((o) => matches(request.path, o.path));
      if (override >= 0) {
        response = overrides.splice(override, 1)[0]!.response;
      } else if (rateLimit !== undefined) {
        response = { status: 429, body: { message: 'Too many requests' }, headers: { 'retry-after': String(rateLimit) } };
        rateLimit = undefined;
      } else {
        try {
          response = handle(request);
        } catch (error) {
          response = { status: 500, body: { message: (error as Error).message } };
        }
      }
      calls.push({ ...request, status: response.status });
      if (response.delayMs) await new Promise((resolve) => setTimeout(resolve, response.delayMs));
      if (res.destroyed || req.socket.destroyed) aborted++;
      else send(res, response);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    get abortedCalls() {
      return aborted;
    },
    get peakConcurrent() {
      return peak;
    },
    rateLimitNext(seconds) {
      rateLimit = seconds;
    },
    answerNext(response, path) {
      overrides.push({ response, path });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
