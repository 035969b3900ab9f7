import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { payloadToJSON, type JSONPayload } from '@temporalio/common/lib/proto-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPayloadCodec } from '../../activities/codec/codec-keys';
import { startCodecServer, type RunningCodecServer } from '../../client/web/codec-server';

// The codec server decrypts for whoever asks: only a caller holding the token, reaching it by a
// loopback name, sending JSON, gets an answer. A browser page elsewhere (DNS rebinding, a
// cross-origin text/plain form POST) and a caller without the token are refused.

const TOKEN = randomBytes(32).toString('base64url');
const codec = createPayloadCodec({ PATCHCTL_CODEC_KEYS: `k1:${randomBytes(32).toString('base64')}` })!;
let server: RunningCodecServer;
let withEncode: RunningCodecServer;
let sealed: JSONPayload;

interface Reply {
  status: number;
  body: string;
}

/** A raw request, so the Host and Content-Type headers are exactly what an attacker's browser would send. */
function send(target: RunningCodecServer, path: string, headers: Record<string, string>, body: string, method = 'POST'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: target.port, path, method, headers: { 'Content-Length': Buffer.byteLength(body), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const good = (target: RunningCodecServer) => ({ Host: `127.0.0.1:${target.port}`, 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` });
const payloads = () => JSON.stringify({ payloads: [sealed] });

beforeAll(async () => {
  server = await startCodecServer({ codec, namespace: 'default', token: TOKEN });
  withEncode = await startCodecServer({ codec, namespace: 'default', token: TOKEN, allowEncode: true });
  sealed = payloadToJSON((await codec.encode([defaultPayloadConverter.toPayload({ hostname: 'clinic-srv-0001' })]))[0]!);
});
afterAll(async () => {
  await server?.close();
  await withEncode?.close();
});

describe('codec server access', () => {
  it('decodes for a caller with the token, by a loopback Host, sending JSON', async () => {
    for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, `[::1]:${server.port}`]) {
      const reply = await send(server, '/decode', { ...good(server), Host: host, 'Content-Type': 'application/json; charset=utf-8' }, payloads());
      expect(reply.status, reply.body).toBe(200);
      const decoded = JSON.parse(reply.body) as { payloads: JSONPayload[] };
      expect(Buffer.from(decoded.payloads[0]!.data!, 'base64').toString()).toContain('clinic-srv-0001');
    }
  });

  it('refuses a request without the token, or with another one (401), never saying what the payload holds', async () => {
    const { Authorization: _auth, ...noToken } = good(server);
    for (const headers of [noToken, { ...noToken, Authorization: 'Bearer wrong' }, { ...noToken, Authorization: TOKEN }]) {
      const reply = await send(server, '/decode', headers, payloads());
      expect(reply.status).toBe(401);
      expect(reply.body).toContain('bearer token');
      expect(reply.body).not.toContain('clinic-srv');
    }
  });

  it('refuses a foreign Host (DNS rebinding: evil.example resolving to 127.0.0.1), naming it', async () => {
    const reply = await send(server, '/decode', { ...good(server), Host: `evil.example:${server.port}` }, payloads());
    expect(reply.status).toBe(421);
    expect(JSON.parse(reply.body).error).toContain('evil.example');
  });

  it('refuses a cross-origin text/plain POST (no preflight) and any other content type (415)', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const reply = await send(server, '/decode', { ...good(server), 'Content-Type': type, Origin: 'http://evil.example' }, payloads());
      expect(reply.status).toBe(415);
      expect(reply.body).not.toContain('clinic-srv');
    }
    const { 'Content-Type': _type, ...untyped } = good(server);
    expect((await send(server, '/decode', untyped, payloads())).status).toBe(415);
  });

  it('serves /encode only when started with it', async () => {
    const plain = JSON.stringify({ payloads: [payloadToJSON(defaultPayloadConverter.toPayload({ a: 1 }) as Payload)] });
    const off = await send(server, '/encode', good(server), plain);
    expect(off.status).toBe(403);
    expect(JSON.parse(off.body).error).toContain('--allow-encode');
    const on = await send(withEncode, '/encode', good(withEncode), plain);
    expect(on.status, on.body).toBe(200);
  });

  it('refuses to start without a token', async () => {
    await expect(startCodecServer({ codec, namespace: 'default', token: '' })).rejects.toThrow(/token/);
  });
});
