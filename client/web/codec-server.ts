import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { isEncryptedPayload } from '../../activities/codec/payload-codec';

// The Temporal codec server protocol: POST …/encode and …/decode with a proto-JSON `{payloads:[…]}`
// (metadata values and data base64), answered in kind. The Temporal UI calls it from the browser, so
// it needs CORS; `temporal … --codec-endpoint` calls it directly. Only the last path segment picks the
// operation, so it can sit behind a proxy under any prefix, e.g. /default/decode.

const MAX_BODY_BYTES = 16 * 1024 * 1024;
const ALLOWED_HEADERS = 'Authorization, Content-Type, X-Namespace';

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const payloadsBody = z.object({
  payloads: z.array(
    z.object({
      metadata: z.record(z.string(), base64).nullish(),
      data: base64.nullish(),
    }),
  ),
});

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** The namespace whose payloads this server handles; requests naming another one are refused. */
  namespace: string;
  host?: string;
  /** 0 = any free port. */
  port?: number;
  /** Browser origins (the Temporal UI) allowed to call it, e.g. http://localhost:8233. */
  corsOrigins?: readonly string[];
  /** The bearer token every request must carry (`Authorization: Bearer …`); from a 0600 file. */
  token: string;
  /** Serve /encode too: whoever can encode can write payloads that workers accept as ours. */
  allowEncode?: boolean;
  /**
   * Host names besides the loopback ones (127.0.0.1, localhost, ::1) that requests may name, for a
   * server behind a proxy. Everything else is refused: DNS rebinding gives a page a loopback address
   * under its own name, and would otherwise turn this server into its decryption oracle.
   */
  allowedHosts?: readonly string[];
}

export interface RunningCodecServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Keep reading (and dropping) so the refusal can still be sent on the same connection.
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) reject(new HttpProblem(413, `request body exceeds ${MAX_BODY_BYTES} bytes`));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

function parsePayloads(text: string): z.infer<typeof payloadsBody> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HttpProblem(400, 'body is not JSON; expected {"payloads":[{"metadata":{…},"data":"<base64>"}]}');
  }
  const parsed = payloadsBody.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    throw new HttpProblem(400, `${path || 'body'}: ${issue.message}; expected {"payloads":[{"metadata":{"<key>":"<base64>"},"data":"<base64>"}]}`);
  }
  return parsed.data;
}

type JsonPayload = z.infer<typeof payloadsBody>['payloads'][number];

// Proto-JSON of a Payload is its fields with bytes as base64: no proto tables needed for that.
function fromJson(p: JsonPayload): Payload {
  const metadata = Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]));
  return { metadata, data: p.data == null ? undefined : new Uint8Array(Buffer.from(p.data, 'base64')) };
}

function toJson(p: Payload): { metadata: Record<string, string>; data?: string } {
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  const metadata = Object.fromEntries(Object.entries(p.metadata ?? {}).flatMap(([k, v]) => (v ? [[k, b64(v)]] : [])));
  return p.data ? { metadata, data: b64(p.data) } : { metadata };
}

// Showing a plaintext payload is not accepting it: the UI sends every payload of a history here,
// including clear ones written before keys were set, and should still show the rest.
async function decodeForDisplay(codec: PayloadCodec, payloads: Payload[]): Promise<Payload[]> {
  return Promise.all(payloads.map(async (p) => (isEncryptedPayload(p) ? (await codec.decode([p]))[0]! : p)));
}

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1'];

/** The host name of a Host header (`[::1]:8081` → `::1`), lower-cased; undefined when malformed. */
function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::\d{1,5})?$/i.exec(header.trim());
  return (match?.[1] ?? match?.[2])?.toLowerCase();
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Starts the codec HTTP server; resolves once it listens. */
export async function startCodecServer(options: CodecServerOptions): Promise<RunningCodecServer> {
  if (!options.token) throw new Error('the codec server needs a bearer token: it decrypts for whoever can reach it');
  const origins = new Set(options.corsOrigins ?? []);
  const hosts = new Set([...LOOPBACK_HOSTS, ...(options.allowedHosts ?? []).map((h) => h.toLowerCase())]);
  const expected = digest(options.token);
  // Hashes of equal length, so the comparison takes the same time whatever was sent.
  const tokenMatches = (header: string | undefined): boolean => {
    const match = /^Bearer (\S+)$/.exec(header ?? '');
    return match !== null && timingSafeEqual(digest(match[1]!), expected);
  };

  const applyCors = (req: IncomingMessage, res: ServerResponse): boolean => {
    const origin = req.headers.origin;
    res.setHeader('Vary', 'Origin');
    if (!origin || !origins.has(origin)) return false;
    res.setHeader('Access-Control-Allow-Origin', origin);
    // The UI's "include cross-origin credentials" setting sends cookies; '*' would be refused then.
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    return true;
  };

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const host = hostName(req.headers.host);
    if (!host || !hosts.has(host)) {
      throw new HttpProblem(421, `Host "${req.headers.host ?? ''}" is not served here: only ${[...hosts].join(', ')} (a page elsewhere reaching this port through DNS rebinding is refused)`);
    }
    const allowed = applyCors(req, res);
    const operation = new URL(req.url ?? '/', 'http://codec').pathname.replace(/\/+$/, '').split('/').pop();
    if (operation !== 'encode' && operation !== 'decode') throw new HttpProblem(404, `no such endpoint ${req.url}; use POST /encode or POST /decode`);
    if (req.method === 'OPTIONS') {
      if (!allowed) throw new HttpProblem(403, `origin ${req.headers.origin ?? '(none)'} is not allowed; start the codec server with --cors-origin ${req.headers.origin ?? '<UI URL>'}`);
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': ALLOWED_HEADERS,
        'Access-Control-Max-Age': '600',
      });
      res.end();
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST, OPTIONS');
      throw new HttpProblem(405, `${req.method} is not supported; use POST`);
    }
    if (!tokenMatches(req.headers.authorization)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      throw new HttpProblem(401, 'missing or wrong bearer token: send "Authorization: Bearer <token>" with the token of the file the codec server was started with');
    }
    // A browser sends text/plain and form types cross-origin without a preflight; JSON needs one.
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') throw new HttpProblem(415, `Content-Type "${req.headers['content-type'] ?? ''}" is not accepted; send application/json`);
    if (operation === 'encode' && !options.allowEncode) {
      throw new HttpProblem(403, '/encode is off: whoever encodes can write payloads the workers accept; start the codec server with --allow-encode to serve it');
    }
    const namespace = req.headers['x-namespace'];
    if (typeof namespace === 'string' && namespace !== '' && namespace !== options.namespace) {
      throw new HttpProblem(403, `this codec server handles namespace "${options.namespace}", not "${namespace}"`);
    }
    const body = parsePayloads(await readBody(req));
    const payloads = body.payloads.map(fromJson);
    let result;
    try {
      result = operation === 'encode' ? await options.codec.encode(payloads) : await decodeForDisplay(options.codec, payloads);
    } catch (err) {
      throw new HttpProblem(400, (err as Error).message);
    }
    send(res, 200, { payloads: result.map(toJson) });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpProblem ? err.status : 500;
      const message = err instanceof HttpProblem ? err.message : 'internal error';
      if (!res.headersSent) send(res, status, { error: message });
      else res.end();
    });
  });
  const bind = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, bind, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${bind.includes(':') ? `[${bind}]` : bind}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

