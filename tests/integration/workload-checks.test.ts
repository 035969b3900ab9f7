import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runServiceCheck } from '../../activities/checks/workload-checks';
import { createActivities } from '../../activities/create-activities';
import { workloadChecksOf } from '../../activities/store/workload-check-store';
import { serviceCheckSchema, type ServiceCheck } from '../../config/policy-schema';
import { createCycleHarness, loadTestPolicy, type CycleHarness } from '../support/cycle-harness';
import { startImapServer, type FakeImapServer } from '../support/fakes/imap-server';
import { selfSignedCertificate } from '../support/fakes/microsoft-graph-server';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

// Each check against a real local server: smtp-server delivering into a small IMAP server read by
// imapflow, node:https with a self-signed certificate, a TCP listener, a file as mounted on the worker.

const MAILBOX = 'checks@clinic.test';
const IMAP_PASSWORD = 'imap-secret';
let dir: string;
let smtp: TestSmtpServer;
let imap: FakeImapServer;
let deliver = true;
let https: HttpsServer;
let httpsPort: number;
let caFile: string;
let tcp: TcpServer;
let tcpPort: number;
let closedPort: number;
const env = { CHECK_IMAP_PASSWORD: IMAP_PASSWORD };

const listen = (server: TcpServer | HttpsServer) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'patchctl-checks-'));
  imap = await startImapServer({ users: { [MAILBOX]: IMAP_PASSWORD } });
  smtp = await startSmtpServer({ onMessage: (mail) => deliver && mail.to.includes(MAILBOX) && imap.deliver(MAILBOX, mail.raw) });
  const { key, cert } = selfSignedCertificate();
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, cert);
  https = createHttpsServer({ key, cert }, (req, res) => {
    if (req.url === '/login') res.writeHead(200, { 'content-type': 'text/html' }).end('<title>OpenEMR Login</title>');
    else res.writeHead(503).end('maintenance');
  });
  httpsPort = await listen(https);
  tcp = createTcpServer((socket) => socket.end());
  tcpPort = await listen(tcp);
  const probe = createTcpServer();
  closedPort = await listen(probe);
  await new Promise((r) => probe.close(r));
});
afterAll(async () => {
  await Promise.all([smtp?.stop(), imap?.stop(), new Promise((r) => https?.close(r)), new Promise((r) => tcp?.close(r))]);
  rmSync(dir, { recursive: true, force: true });
});

const check = (raw: Record<string, unknown>): ServiceCheck => serviceCheckSchema.parse(raw);
const mailCheck = (over: Record<string, unknown> = {}) =>
  check({
    name: 'mail-round-trip',
    kind: 'smtp-imap',
    smtp: { host: '127.0.0.1', port: smtp.port },
    imap: { host: '127.0.0.1', port: imap.port, secure: false, user: MAILBOX, password: { env: 'CHECK_IMAP_PASSWORD' } },
    from: 'patchctl@msp.test',
    to: MAILBOX,
    timeout: '5s',
    ...over,
  });

describe('workload checks run by the worker', () => {
  it('finds a uniquely tagged message sent through SMTP in the mailbox over IMAP', async () => {
    const outcome = await runServiceCheck(mailCheck(), env);
    expect(outcome).toMatchObject({ name: 'mail-round-trip', kind: 'smtp-imap', ok: true, detail: expect.stringMatching(/found in INBOX of checks@clinic.test/) });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(0);
    expect(imap.commands.some((c) => /SEARCH .*X-Patchctl-Check/i.test(c))).toBe(true);
  });

  it('fails the round trip when the relay accepts the message but it never reaches the mailbox', async () => {
    deliver = false;
    try {
      const outcome = await runServiceCheck(mailCheck({ timeout: '2s' }), env);
      expect(outcome).toMatchObject({ ok: false, detail: expect.stringMatching(/sent, but not found in INBOX .* within 2s/) });
    } finally {
      deliver = true;
    }
  });

  it('fails the round trip with a wrong IMAP password, and names a missing secret', async () => {
    expect(await runServiceCheck(mailCheck(), { CHECK_IMAP_PASSWORD: 'wrong' })).toMatchObject({ ok: false });
    expect(await runServiceCheck(mailCheck(), {})).toMatchObject({ ok: false, detail: expect.stringMatching(/CHECK_IMAP_PASSWORD is not set/) });
  });

  it('checks an HTTPS endpoint for its status and text, trusting the configured CA only', async () => {
    const ehr = { name: 'ehr', kind: 'https', url: `https://127.0.0.1:${httpsPort}/login`, expectText: 'OpenEMR Login', caFile, timeout: '5s' };
    expect(await runServiceCheck(check(ehr), env)).toMatchObject({ ok: true, detail: 'answered 200 with "OpenEMR Login"' });
    expect(await runServiceCheck(check({ ...ehr, expectText: 'Dashboard' }), env)).toMatchObject({ ok: false, detail: expect.stringMatching(/does not contain "Dashboard"/) });
    expect(await runServiceCheck(check({ ...ehr, url: `https://127.0.0.1:${httpsPort}/` }), env)).toMatchObject({ ok: false, detail: 'answered 503, expected 200' });
    const { caFile: _ca, ...untrusted } = ehr;
    expect(await runServiceCheck(check(untrusted), env)).toMatchObject({ ok: false, detail: expect.stringMatching(/self.signed|certificate/i) });
  });

  it('checks that a TCP port accepts connections', async () => {
    expect(await runServiceCheck(check({ name: 'rdp-gateway', kind: 'tcp', host: '127.0.0.1', port: tcpPort }), env)).toMatchObject({ ok: true });
    expect(await runServiceCheck(check({ name: 'rdp-gateway', kind: 'tcp', host: '127.0.0.1', port: closedPort }), env)).toMatchObject({ ok: false, detail: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('checks a file share: its port answers and a file on it, mounted on the worker, can be read', async () => {
    const file = join(dir, 'share-canary.txt');
    writeFileSync(file, 'patchctl');
    chmodSync(file, 0o644);
    const share = { name: 'practice-share', kind: 'file-share', protocol: 'smb', host: '127.0.0.1', port: tcpPort, readFile: file };
    expect(await runServiceCheck(check(share), env)).toMatchObject({ ok: true, detail: expect.stringMatching(/read 8 bytes/) });
    expect(await runServiceCheck(check({ ...share, readFile: join(dir, 'missing.txt') }), env)).toMatchObject({ ok: false, detail: expect.stringMatching(/ENOENT/) });
    expect(await runServiceCheck(check({ ...share, port: closedPort }), env)).toMatchObject({ ok: false, detail: expect.stringMatching(/ECONNREFUSED/) });
  });
});

describe('workload checks in verification', () => {
  let h: CycleHarness;
  beforeAll(async () => {
    const policy = loadTestPolicy();
    const clinic = policy.clients.find((c) => c.id === 'clinic')!;
    clinic.serviceChecks = [check({ name: 'ehr', kind: 'https', url: `https://127.0.0.1:${httpsPort}/login`, expectText: 'OpenEMR Login', caFile }), check({ name: 'file-server', kind: 'tcp', host: '127.0.0.1', port: closedPort })];
    h = await createCycleHarness(policy, { clinic: 20 });
  });
  afterAll(async () => {
    await h?.cleanup();
  });

  it('fails every verified asset of the batch when a check fails, naming the check, and records each outcome', async () => {
    const real = createActivities(h.deps);
    // The batch activities heartbeat, so they run inside an activity context.
    const inContext = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => (...args: A) => new MockActivityEnvironment().run(fn, ...args) as Promise<R>;
    const acts = { planCycle: real.planCycle, snapshotBatch: inContext(real.snapshotBatch), deployBatch: inContext(real.deployBatch), pollBatchJobs: inContext(real.pollBatchJobs), verifyBatch: inContext(real.verifyBatch) };
    const cycleId = 'cycle/clinic/workload-checks';
    const plan = await acts.planCycle({ cycleId, clientId: 'clinic', requestedBy: 'probe@msp.test', plannedAt: new Date().toISOString() });
    const ref = { cycleId, clientId: 'clinic', ring: 'canary' as const, batchIndex: 0, attempt: 1 };
    await acts.snapshotBatch(ref);
    await acts.deployBatch(ref);
    for (let i = 0; i < 50 && (await acts.pollBatchJobs({ ...ref, kind: 'deploy' })).pending > 0; i++) await new Promise((r) => setTimeout(r, 100));
    const result = await acts.verifyBatch({ ...ref, workloadChecks: plan.workloadChecks });
    const deployedAndScanned = result.assets.filter((a) => a.stage === 'workload-check');
    expect(deployedAndScanned.length).toBeGreaterThan(0);
    expect(result.verified).toBe(0);
    expect(result.failed).toBe(result.assets.length);
    for (const asset of deployedAndScanned) expect(asset.detail).toMatch(/workload check "file-server" \(tcp 127\.0\.0\.1:\d+\) failed: .*ECONNREFUSED/);
    expect(result.checks?.map((c) => [c.name, c.ok])).toEqual([
      ['ehr', true],
      ['file-server', false],
    ]);
    const recorded = await workloadChecksOf(h.db.pool, cycleId);
    expect(recorded.map((r) => [r.ring, r.name, r.ok, r.target])).toEqual([
      ['canary', 'ehr', true, `https://127.0.0.1:${httpsPort}/login`],
      ['canary', 'file-server', false, `127.0.0.1:${closedPort}`],
    ]);
  });
});
