import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DattoRmm } from '../../activities/adapters/rmm/datto-rmm';
import { createRequestBudget } from '../../activities/adapters/request-budget';
import type { DeploymentRequest } from '../../activities/ports';
import { type FakeDattoDevice, type FakeDattoRmm, startFakeDattoRmm } from '../support/fakes/datto-rmm-server';

const credentials = { apiKey: 'DATTO-KEY', apiSecret: 'DATTO-SECRET' };
const CLIENT = 'harbor-pediatrics';
const SITE = 'site-harbor';
const COMPONENT = 'comp-patch';
let fake: FakeDattoRmm;
// One clock for the adapter, its limiter and the fake's token expiry; sleeping advances it.
let clock = Date.parse('2026-12-01T00:00:00Z');
const sleeps: number[] = [];
const now = () => clock;
const sleep = async (ms: number) => {
  sleeps.push(ms);
  clock += ms;
};

function adapter(options: Partial<ConstructorParameters<typeof DattoRmm>[0]> = {}): DattoRmm {
  return new DattoRmm({
    baseUrl: fake.url,
    ...credentials,
    patchctlClientId: CLIENT,
    siteUid: SITE,
    patchComponentUid: COMPONENT,
    pageSize: 2,
    now,
    sleep,
    ...options,
  });
}

function deploy(hostname: string, patchId = 'policy'): DeploymentRequest {
  return { key: `cycle/harbor/c1|canary|${hostname}|${patchId}`, clientId: CLIENT, cycleId: 'cycle/harbor/c1', ring: 'canary', hostname, patchId };
}

const device = (uid: string, hostname: string, operatingSystem: string, category: string, pending: number, online = true): FakeDattoDevice => ({
  uid, siteUid: SITE, hostname, operatingSystem, deviceType: { category, type: category }, online, rebootRequired: false,
  patchManagement: { patchStatus: pending > 0 ? 'ApprovedPending' : 'FullyPatched', patchesApprovedPending: pending, patchesNotApproved: 0, patchesInstalled: 40 },
});

beforeAll(async () => {
  fake = await startFakeDattoRmm(credentials, now);
});
afterAll(async () => {
  await fake?.stop();
});
beforeEach(() => {
  fake.calls.length = 0;
  sleeps.length = 0;
  fake.pageOrigin = undefined;
  fake.devices.splice(0, fake.devices.length,
    device('d1', 'HP-WS-01', 'Microsoft Windows 11 Pro 23H2', 'Desktop', 3),
    device('d2', 'HP-DC01', 'Microsoft Windows Server 2022 Standard', 'Server', 1),
    device('d3', 'HP-MAC-1', 'macOS Sonoma 14.5', 'Laptop', 0),
    device('d4', 'HP-WS-02', 'Microsoft Windows 10 Pro', 'Desktop', 2, false),
    { ...device('x1', 'ELSEWHERE', 'Microsoft Windows 11 Pro', 'Desktop', 1), siteUid: 'other-site' },
  );
  fake.jobs.length = 0;
  fake.components.clear();
  fake.components.add(COMPONENT);
  fake.failingDevices.clear();
  fake.software.clear();
});

describe('Datto RMM adapter against a fake Datto RMM API v2', () => {
  it('logs in with the password grant of the public client and pages site devices through nextPageUrl', async () => {
    expect(await adapter().listDevices(CLIENT)).toEqual([
      { hostname: 'HP-WS-01', os: 'windows', role: 'workstation', online: true, software: [] },
      { hostname: 'HP-DC01', os: 'windows', role: 'server', online: true, software: [] },
      { hostname: 'HP-MAC-1', os: 'macos', role: 'workstation', online: true, software: [] },
      { hostname: 'HP-WS-02', os: 'windows', role: 'workstation', online: false, software: [] },
    ]);
    expect(fake.calls[0]).toMatchObject({ method: 'POST', path: '/auth/oauth/token' });
    expect(new URLSearchParams(fake.calls[0]!.body).get('grant_type')).toBe('password');
    expect(fake.calls.filter((c) => c.path === `/api/v2/site/${SITE}/devices`).map((c) => c.query.get('page'))).toEqual(['0', '1']);
  });

  it('does not follow a nextPageUrl to another origin with its token', async () => {
    fake.pageOrigin = 'https://attacker.example';
    await expect(adapter().listDevices(CLIENT)).rejects.toThrow(/^Datto RMM: pageDetails\.nextPageUrl points to another origin \(https:\/\/attacker\.example/);
  });

  it('reports devices with approved pending patches as one policy patch', async () => {
    expect(await adapter().listMissingPatches(CLIENT, ['hp-ws-01', 'HP-MAC-1'])).toEqual([
      { hostname: 'hp-ws-01', patchId: 'policy', title: '3 patch(es) approved by the Datto RMM patch policy (status ApprovedPending)', product: 'Datto patch policy', severity: 'high' },
    ]);
  });

  it('patches by a quick job of the patch component and reads the job and its device result', async () => {
    const rmm = adapter();
    const { jobId } = await rmm.submitDeployment(deploy('HP-WS-01', 'KB5036893'));
    const job = fake.jobs[0]!;
    expect(jobId).toBe(`${job.uid}:d1`);
    expect(job).toMatchObject({ componentUid: COMPONENT, variables: [{ name: 'KBList', value: 'KB5036893' }] });
    expect(await rmm.jobStatus(CLIENT, jobId)).toMatchObject({ state: 'running' });
    expect(await rmm.jobStatus(CLIENT, jobId)).toEqual({
      jobId,
      state: 'succeeded',
      detail: `quick job ${job.uid} Success (Windows Update - Install: Success)`,
      finishedAt: '2026-12-01T03:12:00.000Z',
    });
    expect(await rmm.rescan(CLIENT, 'HP-WS-01', ['KB5036893'])).toEqual({ hostname: 'HP-WS-01', installed: { KB5036893: true } });
  });

  it('reports a failed component run as a failed job, and verification does not pass', async () => {
    fake.failingDevices.add('HP-DC01');
    const rmm = adapter();
    const { jobId } = await rmm.submitDeployment(deploy('HP-DC01'));
    await rmm.jobStatus(CLIENT, jobId);
    expect(await rmm.jobStatus(CLIENT, jobId)).toMatchObject({ state: 'failed', detail: expect.stringContaining('Failure') });
    expect((await rmm.rescan(CLIENT, 'HP-DC01', ['policy'])).installed).toEqual({ policy: false });
  });

  it('refuses an offline device and a missing uninstall component before writing anything', async () => {
    await expect(adapter().submitDeployment(deploy('HP-WS-02'))).rejects.toThrow(/^Datto RMM: device HP-WS-02 is offline/);
    await expect(adapter().submitUninstall(deploy('HP-WS-01', 'KB5036893'))).rejects.toThrow(/no uninstallComponentUid configured/);
    expect(fake.calls.filter((c) => c.method === 'PUT')).toHaveLength(0);
  });

  it('renews its 100 h token before expiry and once more on a 401', async () => {
    const rmm = adapter();
    await rmm.listDevices(CLIENT);
    clock += 99.5 * 3_600_000; // inside the last hour of the token's life
    await rmm.listDevices(CLIENT);
    expect(fake.tokens.issued).toBeGreaterThanOrEqual(2);
    const before = fake.tokens.issued;
    fake.tokens.revokeAll();
    await rmm.listDevices(CLIENT);
    expect(fake.tokens.issued).toBe(before + 1);
  });

  it('keeps to the account budget without real sleeps: the request past the limit waits for the window', async () => {
    const rmm = adapter({ budget: { reads: 3, writes: 1, windowMs: 60_000 } });
    await rmm.listDevices(CLIENT); // token (a write) + 2 device pages
    expect(sleeps).toEqual([]);
    await rmm.listDevices(CLIENT); // the 4th read must wait for the window to roll
    expect(sleeps).toEqual([60_000]);
  });

  it('reads each site device’s software audit for discovery, following its pages', async () => {
    fake.software.set('d1', [{ name: 'Google Chrome', version: '120' }, { name: 'Java 8 Update 381', version: '8.0.3810' }, { name: 'Adobe Acrobat Reader', version: '24' }]);
    fake.software.set('d2', [{ name: 'Active Directory Tools', version: '10' }]);
    expect(await adapter().listSoftware(CLIENT)).toEqual([
      { hostname: 'HP-WS-01', applications: ['Adobe Acrobat Reader', 'Google Chrome', 'Java 8 Update 381'] },
      { hostname: 'HP-DC01', applications: ['Active Directory Tools'] },
      { hostname: 'HP-MAC-1', applications: [] },
      { hostname: 'HP-WS-02', applications: [] },
    ]);
    // Two to a page: d1's three entries take two pages; no other site's device is asked about.
    expect(fake.calls.filter((c) => c.path === '/api/v2/audit/device/d1/software').map((c) => c.query.get('page'))).toEqual(['0', '1']);
    expect(fake.calls.some((c) => c.path.includes('/x1/'))).toBe(false);
  });

  it('refuses a malformed software audit and a software page on another origin', async () => {
    fake.answerNext({ status: 200, body: { pageDetails: {}, software: [{ version: '1' }] } }, '/api/v2/audit/device/d1/software');
    await expect(adapter().listSoftware(CLIENT)).rejects.toMatchObject({
      type: 'VendorRejected',
      message: expect.stringMatching(/^Datto RMM GET \/api\/v2\/audit\/device\/d1\/software answered with an unexpected shape: response\.software\[0\]\.name/),
    });
    fake.software.set('d1', [{ name: 'A', version: '1' }, { name: 'B', version: '1' }, { name: 'C', version: '1' }]);
    const rmm = adapter();
    await rmm.listDevices(CLIENT);
    fake.pageOrigin = 'https://attacker.example';
    await expect(rmm.listSoftware(CLIENT)).rejects.toThrow(/nextPageUrl points to another origin/);
  });

  it('answers 429, 5xx, timeouts and malformed bodies as the other adapters do', async () => {
    fake.rateLimitNext(2);
    await adapter().listDevices(CLIENT);
    expect(sleeps).toContain(2000);
    fake.answerNext({ status: 502, body: { message: 'Bad gateway' } }, `/api/v2/site/${SITE}/devices`);
    await expect(adapter().listDevices(CLIENT)).rejects.toMatchObject({ type: 'VendorUnavailable', nonRetryable: false });
    fake.answerNext({ status: 200, body: {}, delayMs: 400 }, `/api/v2/site/${SITE}/devices`);
    await expect(adapter({ timeoutMs: 100 }).listDevices(CLIENT)).rejects.toThrow(/no answer within 100 ms/);
    fake.answerNext({ status: 200, body: { pageDetails: {}, devices: [{ uid: 'd1', hostname: 'HP-WS-01', online: 'yes' }] } }, `/api/v2/site/${SITE}/devices`);
    await expect(adapter().listDevices(CLIENT)).rejects.toMatchObject({
      type: 'VendorRejected',
      message: expect.stringMatching(/^Datto RMM GET \/api\/v2\/site\/site-harbor\/devices answered with an unexpected shape: response\.devices\[0\]\.online/),
    });
  });
});

describe('request budget', () => {
  it('lets the limit through at once, then spaces requests by the rolling window', async () => {
    let t = 0;
    const waited: number[] = [];
    const budget = createRequestBudget({ reads: 600, writes: 100, windowMs: 60_000, now: () => t, sleep: async (ms) => { waited.push(ms); t += ms; } });
    for (let i = 0; i < 600; i++) {
      await budget.take('GET');
      t += 50; // 600 reads over 30 s
    }
    expect(waited).toEqual([]);
    await budget.take('GET');
    // The first read was at t=0: the 601st may go at t=60 s.
    expect(waited).toEqual([30_000]);
  });

  it('holds writes to their own, smaller budget', async () => {
    let t = 0;
    const waited: number[] = [];
    const budget = createRequestBudget({ reads: 600, writes: 100, windowMs: 60_000, now: () => t, sleep: async (ms) => { waited.push(ms); t += ms; } });
    for (let i = 0; i < 100; i++) await budget.take('PUT');
    await budget.take('GET'); // reads are not held up by the write budget
    expect(waited).toEqual([]);
    await budget.take('POST');
    expect(waited).toEqual([60_000]);
  });
});
