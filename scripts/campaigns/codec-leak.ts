/*
 * codec-leak (issue 9): a cycle on a real Temporal dev server with payload keys on worker and client,
 * then every place a hostname could reach in clear text is searched for every inventory hostname:
 * the raw histories (as the server stores them), their failure messages, the workflow ids, the worker
 * log. leaks must be 0. Then the codec server is asked without its token, under a foreign Host, with
 * a cross-origin text/plain POST and for /encode it does not serve: each must be refused.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyToJSON, payloadToJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogEntry } from '@temporalio/worker';
import { createDataConverter, createPayloadCodec } from '../../activities/codec/codec-keys';
import { decodeHistory } from '../../activities/codec/payload-codec';
import { buildClientAdapters } from '../../activities/adapters/build-adapters';
import { createMailer } from '../../activities/adapters/mail/nodemailer-mailer';
import { createActivities } from '../../activities/create-activities';
import { createPool } from '../../activities/store/pool';
import { migrateUp } from '../../activities/store/migrate';
import { upsertClients } from '../../activities/store/client-store';
import { importAssets } from '../../activities/store/inventory-store';
import { generateFleet } from '../../activities/simulation/fleet-generator';
import { startCodecServer, type RunningCodecServer } from '../../client/web/codec-server';
import { startTemporalDevServer } from '../../client/dev-stack/temporal-dev-server';
import { loadPolicyFile } from '../../config/load-policy';
import { repoRoot } from '../../config/repo-root';
import { requireBinary, resolveTemporalCli } from '../../config/temporal-binaries';
import { cycleWorkflowId, ringWorkflowId } from '../../domain/ids';
import { RINGS } from '../../config/policy-schema';
import { workflowSource } from '../../workers/workflow-source';
import type { CampaignFigures } from './support/campaign';
import { withDatabase } from './input-fuzz';

export interface CodecLeakOptions {
  /** Assets of the one client the cycle runs on. */
  assets?: number;
  serverUrl?: string;
}

const CLIENT = 'clinic';
const TASK_QUEUE = 'patchctl-codec-leak';

/** Every hostname found in `text`, also base64-encoded (payload data is base64 in proto-JSON). */
function leaked(text: string, hostnames: readonly string[]): string[] {
  return hostnames.filter((h) => text.includes(h) || text.includes(Buffer.from(h).toString('base64').slice(0, 16)));
}

/** The failure objects of a history document: message and stack, where a vendor error would name a host. */
function failureTexts(doc: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown, key: string): void => {
    if (Array.isArray(node)) node.forEach((n) => walk(n, key));
    else if (node && typeof node === 'object') {
      if (/failure|cause/i.test(key)) found.push(JSON.stringify({ message: (node as { message?: unknown }).message, stackTrace: (node as { stackTrace?: unknown }).stackTrace }));
      for (const [k, v] of Object.entries(node)) walk(v, k);
    }
  };
  walk(doc, '');
  return found;
}

/** The decoded text of every payload in a proto-JSON document (payload data is base64 there). */
function payloadTexts(doc: unknown): string[] {
  const texts: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const { metadata, data } = node as { metadata?: { encoding?: unknown }; data?: unknown };
      if (metadata && typeof metadata.encoding === 'string' && typeof data === 'string') texts.push(Buffer.from(data, 'base64').toString('utf8'));
      else Object.values(node).forEach(walk);
    }
  };
  walk(doc);
  return texts;
}

interface Probe {
  name: string;
  headers: Record<string, string>;
  path: string;
}

function probe(server: RunningCodecServer, { path, headers }: Probe, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: 'POST', headers: { 'Content-Length': Buffer.byteLength(body), ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Worker log lines, kept in memory: the Runtime logs once per process, so it is installed here if nobody did. */
function captureWorkerLog(): string[] {
  const lines: string[] = [];
  try {
    Runtime.install({
      logger: new DefaultLogger('DEBUG', (entry: LogEntry) => lines.push(`${entry.level} ${entry.message} ${JSON.stringify(entry.meta ?? {})}`)),
      shutdownSignals: [],
      telemetryOptions: { logging: { filter: { core: 'INFO', other: 'INFO' }, forward: {} } },
    });
  } catch {
    // Installed already (a test process): the log is not ours to read then; the other places still are.
  }
  return lines;
}

export async function codecLeak(options: CodecLeakOptions = {}): Promise<CampaignFigures> {
  const log = captureWorkerLog();
  const keys = { PATCHCTL_CODEC_KEYS: `leak-1:${randomBytes(32).toString('base64')}` };
  const stateDir = mkdtempSync(join(tmpdir(), 'patchctl-codec-leak-'));
  const serverUrl = options.serverUrl ?? process.env.PATCHCTL_TEST_DATABASE_URL ?? 'postgresql://postgres:postgres@127.0.0.1:5432/postgres';
  const temporal = await startTemporalDevServer({
    binary: requireBinary(resolveTemporalCli(), 'temporal'),
    dbFile: join(stateDir, 'temporal.db'),
    logFile: join(stateDir, 'temporal.log'),
    readyTimeoutMs: 90_000,
  });
  try {
    return await withDatabase(serverUrl, async (databaseUrl) => {
      await migrateUp(databaseUrl);
      const loaded = loadPolicyFile(join(repoRoot(), 'tests', 'fixtures', 'policy-crash.yaml'));
      if (!loaded.ok) throw new Error('tests/fixtures/policy-crash.yaml does not load');
      const policy = loaded.policy;
      for (const client of policy.clients) client.simulation = { ...client.simulation, latencyMs: 50 };
      const db = createPool(databaseUrl, 4);
      await upsertClients(db, policy.clients);
      await importAssets(db, CLIENT, generateFleet(CLIENT, options.assets ?? 30, 7).map(({ clientId: _client, ...asset }) => asset));
      const hostnames = (await db.query<{ hostname: string }>('SELECT hostname FROM assets WHERE client_id = $1', [CLIENT])).rows.map((r) => r.hostname);
      const connection = await Connection.connect({ address: temporal.address });
      const client = new Client({ connection, dataConverter: createDataConverter(keys) });
      const raw = new Client({ connection });
      const workerConnection = await NativeConnection.connect({ address: temporal.address });
      let codecServer: RunningCodecServer | undefined;
      try {
        const worker = await Worker.create({
          connection: workerConnection,
          taskQueue: TASK_QUEUE,
          dataConverter: createDataConverter(keys),
          ...workflowSource(),
          activities: createActivities({
            db,
            policy,
            adaptersFor: buildClientAdapters({ db, policy, env: {} }),
            mailer: createMailer({ from: policy.msp.mailFrom, outboxDir: join(stateDir, 'outbox') }),
          }),
        });
        const cycleId = cycleWorkflowId(CLIENT, 'codec-leak');
        // A failure whose message names a host, as a vendor error would: the planner refuses an unknown
        // client by naming it, and here the "client" is an inventory hostname.
        const failingId = cycleWorkflowId(CLIENT, 'codec-leak-failure');
        const result = await worker.runUntil(async () => {
          const completed = await client.workflow.execute('patchCycle', { taskQueue: TASK_QUEUE, workflowId: cycleId, args: [{ clientId: CLIENT, cycleName: 'codec-leak', requestedBy: 'engineer@msp.test' }] });
          // It ends failed (the workflow fails, or records the refusal in its result): either way the refusal is in history.
          await client.workflow
            .execute('patchCycle', { taskQueue: TASK_QUEUE, workflowId: failingId, args: [{ clientId: hostnames[0]!, cycleName: 'codec-leak-failure', requestedBy: 'engineer@msp.test' }] })
            .catch(() => undefined);
          return completed as { status: string };
        });
        let failureMessageDecrypted = false;
        const workflowIds = [cycleId, ...RINGS.map((ring) => ringWorkflowId(cycleId, ring)), failingId];
        const places: Record<string, string[]> = { histories: [], failures: [], workflowIds: [], workerLog: [] };
        let failureObjects = 0;
        let decodedMentions = 0;
        const codec = createPayloadCodec(keys)!;
        for (const id of workflowIds) {
          const history = await raw.workflow.getHandle(id).fetchHistory();
          const doc = JSON.parse(historyToJSON(history));
          failureObjects += failureTexts(doc).length;
          // The control: decrypted, the same history does name assets, so the search below can find them.
          const decoded = payloadTexts(JSON.parse(historyToJSON(await decodeHistory(history, codec)))).join('\n');
          decodedMentions += leaked(decoded, hostnames).length;
          // The control of the failure check: the planner's refusal is there, and names the host once decrypted.
          if (id === failingId) failureMessageDecrypted = failureTexts(doc).length > 0 && decoded.includes(hostnames[0]!);
          places.histories!.push(...leaked(`${JSON.stringify(doc)}\n${payloadTexts(doc).join('\n')}`, hostnames).map((h) => `${id}: ${h}`));
          places.failures!.push(...failureTexts(doc).flatMap((text) => leaked(text, hostnames).map((h) => `${id}: ${h}`)));
          places.workflowIds!.push(...leaked(id, hostnames));
        }
        places.workerLog!.push(...log.flatMap((line) => leaked(line, hostnames)));
        const leaks = Object.values(places).reduce((sum, found) => sum + found.length, 0);

        // The codec server, with the same keys: what a browser page elsewhere or a caller without the token tries.
        const token = randomBytes(32).toString('base64url');
        codecServer = await startCodecServer({ codec: createPayloadCodec(keys)!, namespace: 'default', token });
        const sealed = payloadToJSON((await createPayloadCodec(keys)!.encode([defaultPayloadConverter.toPayload({ hostname: hostnames[0] })]))[0]!);
        const body = JSON.stringify({ payloads: [sealed] });
        const host = `127.0.0.1:${codecServer.port}`;
        const probes: Probe[] = [
          { name: 'no token', path: '/decode', headers: { Host: host, 'Content-Type': 'application/json' } },
          { name: 'wrong token', path: '/decode', headers: { Host: host, 'Content-Type': 'application/json', Authorization: 'Bearer guessed' } },
          { name: 'foreign Host (DNS rebinding)', path: '/decode', headers: { Host: `rebind.example:${codecServer.port}`, 'Content-Type': 'application/json', Authorization: `Bearer ${token}` } },
          { name: 'cross-origin text/plain', path: '/decode', headers: { Host: host, 'Content-Type': 'text/plain', Origin: 'http://evil.example', Authorization: `Bearer ${token}` } },
          { name: '/encode not enabled', path: '/encode', headers: { Host: host, 'Content-Type': 'application/json', Authorization: `Bearer ${token}` } },
        ];
        const answered: string[] = [];
        for (const p of probes) if ((await probe(codecServer, p, body)) < 400) answered.push(p.name);
        // The control: with everything right it does decode, so the refusals above are not a dead server.
        const control = await probe(codecServer, { name: 'control', path: '/decode', headers: { Host: host, 'Content-Type': 'application/json', Authorization: `Bearer ${token}` } }, body);

        const tried = hostnames.length + probes.length;
        const leakedHosts = new Set(Object.values(places).flat().map((entry) => entry.split(': ').pop()!));
        const controls = result.status === 'completed' && control === 200 && decodedMentions > 0 && failureMessageDecrypted;
        const broken = leakedHosts.size + answered.length + (controls ? 0 : 1);
        return {
          tried,
          held: tried - Math.min(broken, tried),
          broken: Math.min(broken, tried),
          cycle: result.status,
          hostnames: hostnames.length,
          histories: workflowIds.length,
          failureObjects,
          failureMessageDecrypted,
          hostnamesFoundOnceDecrypted: decodedMentions,
          leaks,
          leaksByPlace: Object.fromEntries(Object.entries(places).map(([place, found]) => [place, found.length])),
          workerLogLines: log.length,
          codecServerProbes: probes.length,
          refused: probes.length - answered.length,
          answered,
          controlStatus: control,
          examples: Object.values(places).flat().slice(0, 5),
        };
      } finally {
        await codecServer?.close();
        await connection.close();
        await workerConnection.close();
        await db.end();
      }
    });
  } finally {
    await temporal.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

export const campaign = () => codecLeak();
