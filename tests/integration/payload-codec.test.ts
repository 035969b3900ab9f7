import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { JSONToPayload, payloadToJSON, type History, type JSONPayload } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClientAdapters } from '../../activities/adapters/build-adapters';
import { createMailer } from '../../activities/adapters/mail/nodemailer-mailer';
import { createActivities } from '../../activities/create-activities';
import { requireBinary, resolveTemporalCli } from '../../config/temporal-binaries';
import { startCodecServer, type RunningCodecServer } from '../../client/web/codec-server';
import { startTemporalDevServer, type TemporalDevServer } from '../../client/dev-stack/temporal-dev-server';
import { cycleWorkflowId, ringWorkflowId } from '../../domain/ids';
import { fetchCycleHistories } from '../../activities/evidence/history-source';
import { replayHistories } from '../../activities/evidence/replay';
import { createDataConverter, createPayloadCodec } from '../../activities/codec/codec-keys';
import { temporalHistorySource } from '../../workers/temporal-history-source';
import { workflowSource } from '../../workers/workflow-source';
import { decodeHistory, type AesGcmPayloadCodec } from '../../activities/codec/payload-codec';
import { patchCycle } from '../../workflows/cycle/patch-cycle';
import { loadTestPolicy, seedFleet, workflowBundle } from '../support/cycle-harness';
import { createTestDatabase, type TestDatabase } from '../support/database';

// A cycle on the real dev server with the codec on worker and client: what Temporal stores must not
// name a single asset, while anyone holding the key (client, `temporal --codec-endpoint`, the UI via
// the codec server) still reads it.

const POLICY = 'tests/fixtures/policy-crash.yaml';
const TASK_QUEUE = 'patchctl-codec-test';
const UI_ORIGIN = 'http://localhost:8233';
const KEYS = { PATCHCTL_CODEC_KEYS: `2026-q1:${randomBytes(32).toString('base64')},2025-q4:${randomBytes(32).toString('base64')}` };
const CYCLE_ID = cycleWorkflowId('clinic', 'codec-1');
const CODEC_TOKEN = randomBytes(32).toString('base64url');
const RING_IDS = (['canary', 'pilot', 'production'] as const).map((ring) => ringWorkflowId(CYCLE_ID, ring));

const execFileAsync = promisify(execFile);

let server: TemporalDevServer;
let temporalCli: string;
let db: TestDatabase;
let stateDir: string;
let codec: AesGcmPayloadCodec;
let codecClient: Client;
let rawClient: Client;
let codecServer: RunningCodecServer;
let workerConnection: NativeConnection;
let hostnames: string[];
let cycleStatus: string;

const rawBytes = (history: History): Buffer => Buffer.from(temporal.api.history.v1.History.encode(history).finish());
const mentionsAnAsset = (bytes: Buffer): string | undefined => hostnames.find((h) => bytes.includes(h));

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'patchctl-codec-'));
  temporalCli = requireBinary(resolveTemporalCli(), 'temporal');
  server = await startTemporalDevServer({
    binary: temporalCli,
    dbFile: join(stateDir, 'temporal.db'),
    logFile: join(stateDir, 'temporal.log'),
    readyTimeoutMs: 90_000,
  });
  db = await createTestDatabase();
  const policy = loadTestPolicy(POLICY, { latencyMs: 100 });
  await seedFleet(db, policy, { clinic: 30 });
  hostnames = (await db.pool.query<{ hostname: string }>(`SELECT hostname FROM assets WHERE client_id = 'clinic'`)).rows.map((r) => r.hostname);
  codec = createPayloadCodec(KEYS)!;
  const connection = await Connection.connect({ address: server.address });
  codecClient = new Client({ connection, dataConverter: createDataConverter(KEYS) });
  rawClient = new Client({ connection });
  codecServer = await startCodecServer({ codec, namespace: 'default', corsOrigins: [UI_ORIGIN], token: CODEC_TOKEN, allowEncode: true });

  const worker = await Worker.create({
    connection: (workerConnection = await NativeConnection.connect({ address: server.address })),
    taskQueue: TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    dataConverter: createDataConverter(KEYS),
    activities: createActivities({
      db: db.pool,
      policy,
      adaptersFor: buildClientAdapters({ db: db.pool, policy, env: {} }),
      mailer: createMailer({ from: policy.msp.mailFrom, outboxDir: join(stateDir, 'outbox') }),
    }),
  });
  const result = await worker.runUntil(
    codecClient.workflow.execute(patchCycle, {
      taskQueue: TASK_QUEUE,
      workflowId: CYCLE_ID,
      args: [{ clientId: 'clinic', cycleName: 'codec-1', requestedBy: 'engineer@msp.test' }],
    }),
  );
  cycleStatus = result.status;
});

afterAll(async () => {
  await codecServer?.close();
  await codecClient?.connection.close();
  await workerConnection?.close();
  await server?.stop();
  await db?.drop();
  rmSync(stateDir, { recursive: true, force: true });
});

/** The decoded text of every payload in a proto-JSON document (payload data is base64). */
function payloadTexts(json: string): string[] {
  const texts: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const { metadata, data } = node as JSONPayload;
      if (metadata && typeof metadata.encoding === 'string' && typeof data === 'string') texts.push(Buffer.from(data, 'base64').toString('utf8'));
      else Object.values(node).forEach(walk);
    }
  };
  walk(JSON.parse(json));
  return texts;
}

describe('payload encryption on the real dev server', () => {
  it('runs the cycle to completion through the codec', () => {
    expect(hostnames.length).toBe(30);
    expect(cycleStatus).toBe('completed');
  });

  it('stores no asset hostname in any history, while the key holder reads them back', async () => {
    let decodedMentions = 0;
    for (const workflowId of [CYCLE_ID, ...RING_IDS]) {
      const history = await rawClient.workflow.getHandle(workflowId).fetchHistory();
      expect(history.events?.length).toBeGreaterThan(0);
      expect(mentionsAnAsset(rawBytes(history)), `${workflowId} stored in clear text`).toBeUndefined();
      if (mentionsAnAsset(rawBytes(await decodeHistory(history, codec)))) decodedMentions++;
    }
    // The ring children carry per-asset batch outcomes: decrypted, they name the assets.
    expect(decodedMentions).toBeGreaterThanOrEqual(RING_IDS.length);
  });

  it('still shows decoded results to a client holding the key, and only ciphertext to one without', async () => {
    const ring = RING_IDS[0]!;
    const decoded = await codecClient.workflow.getHandle(ring).result();
    expect(decoded).toMatchObject({ ring: 'canary' });
    await expect(rawClient.workflow.getHandle(ring).result()).rejects.toThrow(/binary\/encrypted/);
  });

  it('exports evidence histories decrypted, so an auditor without the key can read them, and replays them', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, KEYS);
    try {
      const runs = await fetchCycleHistories(temporalHistorySource(codecClient), CYCLE_ID);
      const text = JSON.stringify(runs.map((r) => r.history));
      expect(hostnames.some((h) => text.includes(h) || payloadTexts(text).some((t) => t.includes(h)))).toBe(true);
      const outcomes = await replayHistories(runs.map((r) => ({ workflowId: r.workflowId, source: 'server', history: r.history })), workflowSource());
      expect(outcomes.every((o) => o.consistent)).toBe(true);
    } finally {
      process.env = saved;
    }
  });

  it('lets `temporal workflow show --codec-endpoint` decode through the codec server', async () => {
    const show = async (extra: string[]): Promise<string> =>
      (await execFileAsync(temporalCli, ['workflow', 'show', '--address', server.address, '--workflow-id', RING_IDS[0]!, '--output', 'json', ...extra], { maxBuffer: 64 * 1024 * 1024 })).stdout;
    const raw = await show([]);
    expect(hostnames.find((h) => raw.includes(h) || payloadTexts(raw).some((t) => t.includes(h)))).toBeUndefined();
    const viaCodec = await show(['--codec-endpoint', codecServer.url, '--codec-auth', `Bearer ${CODEC_TOKEN}`]);
    expect(hostnames.some((h) => payloadTexts(viaCodec).some((t) => t.includes(h)))).toBe(true);
  });
});

describe('patchctl codec server', () => {
  const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${codecServer.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', Authorization: `Bearer ${CODEC_TOKEN}`, ...headers }, body: JSON.stringify(body) });

  /** An activity result from the canary's stored history that, decrypted, names an asset. */
  async function encryptedPayloadFromHistory(): Promise<JSONPayload> {
    const history = await rawClient.workflow.getHandle(RING_IDS[0]!).fetchHistory();
    for (const event of history.events ?? []) {
      const stored = event.activityTaskCompletedEventAttributes?.result?.payloads?.[0];
      if (!stored) continue;
      const [plain] = await codec.decode([stored as Payload]);
      if (mentionsAnAsset(Buffer.from(plain!.data ?? []))) return payloadToJSON(stored as Payload);
    }
    throw new Error('no activity result in the canary history names an asset');
  }

  it('POST /decode returns the decrypted payload of an encrypted history payload', async () => {
    const sealed = await encryptedPayloadFromHistory();
    expect(Buffer.from(sealed.metadata!.encoding!, 'base64').toString()).toBe('binary/encrypted');
    const response = await post('/decode', { payloads: [sealed] });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const { payloads } = (await response.json()) as { payloads: JSONPayload[] };
    expect(Buffer.from(payloads[0]!.metadata!.encoding!, 'base64').toString()).toBe('json/plain');
    const text = Buffer.from(payloads[0]!.data!, 'base64').toString();
    expect(hostnames.some((h) => text.includes(h))).toBe(true);
  });

  it('POST /encode then /decode (under a namespace prefix) round-trips a payload', async () => {
    const plain = payloadToJSON(defaultPayloadConverter.toPayload({ hostname: 'clinic-srv-0001', tags: ['ephi'] }));
    const encoded = (await (await post('/encode', { payloads: [plain] })).json()) as { payloads: JSONPayload[] };
    const sealed = encoded.payloads[0]!;
    expect(Buffer.from(sealed.metadata!['encryption-key-id']!, 'base64').toString()).toBe('2026-q1');
    expect(Buffer.from(sealed.data!, 'base64').toString('latin1')).not.toContain('clinic-srv');
    const decoded = (await (await post('/default/decode', { payloads: [sealed] })).json()) as { payloads: JSONPayload[] };
    expect(defaultPayloadConverter.fromPayload(JSONToPayload(decoded.payloads[0]!) as Payload)).toEqual({ hostname: 'clinic-srv-0001', tags: ['ephi'] });
  });

  it('answers the Temporal UI CORS preflight for its origin, and refuses other origins', async () => {
    const preflight = await fetch(`${codecServer.url}/decode`, {
      method: 'OPTIONS',
      headers: { Origin: UI_ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace,authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase().split(/,\s*/)).toEqual(expect.arrayContaining(['content-type', 'x-namespace', 'authorization']));
    const actual = await post('/decode', { payloads: [] }, { Origin: UI_ORIGIN });
    expect(actual.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);

    const stranger = await fetch(`${codecServer.url}/decode`, { method: 'OPTIONS', headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' } });
    expect(stranger.status).toBe(403);
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses another namespace, malformed bodies and keys it does not hold, saying why', async () => {
    const otherNamespace = await post('/decode', { payloads: [] }, { 'X-Namespace': 'billing' });
    expect(otherNamespace.status).toBe(403);
    expect(((await otherNamespace.json()) as { error: string }).error).toBe('this codec server handles namespace "default", not "billing"');

    const malformed = await post('/decode', { payloads: [{ data: 'not base64!' }] });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: string }).error).toMatch(/^payloads\[0\]\.data: must be base64/);

    const foreign = await startCodecServer({ codec: createPayloadCodec({ PATCHCTL_CODEC_KEYS: `2027-q1:${randomBytes(32).toString('base64')}` })!, namespace: 'default', token: CODEC_TOKEN });
    try {
      const response = await fetch(`${foreign.url}/decode`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${CODEC_TOKEN}` }, body: JSON.stringify({ payloads: [await encryptedPayloadFromHistory()] }) });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toMatch(/codec key id "2026-q1", which is not in PATCHCTL_CODEC_KEYS/);
    } finally {
      await foreign.close();
    }

    expect((await fetch(`${codecServer.url}/decode`)).status).toBe(405);
    expect((await post('/elsewhere', { payloads: [] })).status).toBe(404);
  });
});
