import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NinjaOneRmm } from '../../activities/adapters/rmm/ninjaone';
import type { DeploymentRequest } from '../../activities/ports';
import { type FakeNinjaOne, type FakeOsPatch, startFakeNinjaOne } from '../support/fakes/ninjaone-server';

const credentials = { clientId: 'ninja-client', clientSecret: 'ninja-secret' };
const CLIENT = 'acme-dental';
const ORG = 7;
let fake: FakeNinjaOne;
const waits: number[] = [];

function adapter(options: Partial<ConstructorParameters<typeof NinjaOneRmm>[0]> = {}): NinjaOneRmm {
  return new NinjaOneRmm({
    baseUrl: fake.url,
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    patchctlClientId: CLIENT,
    organizationId: ORG,
    pageSize: 2,
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...options,
  });
}

function deploy(hostname: string, patchId: string): DeploymentRequest {
  return { key: `cycle/acme-dental/c1|pilot|${hostname}|${patchId}`, clientId: CLIENT, cycleId: 'cycle/acme-dental/c1', ring: 'pilot', hostname, patchId };
}

const device = (id: number, systemName: string, nodeClass: string, organizationId = ORG, offline = false) => ({
  id, organizationId, locationId: 1, nodeClass, offline, displayName: systemName, systemName, lastContact: 1764547200,
});
const osPatch = (id: string, deviceId: number, kbNumber: string, severity: FakeOsPatch['severity'], status: FakeOsPatch['status'] = 'APPROVED'): FakeOsPatch => ({
  id, name: `2026-11 Cumulative Update (${kbNumber})`, kbNumber, severity, status, type: 'SECURITY_UPDATES', deviceId, timestamp: 1764547200,
});

beforeAll(async () => {
  fake = await startFakeNinjaOne(credentials);
});
afterAll(async () => {
  await fake?.stop();
});
beforeEach(() => {
  fake.calls.length = 0;
  waits.length = 0;
  fake.devices.splice(0, fake.devices.length,
    device(11, 'WS-001', 'WINDOWS_WORKSTATION'),
    device(12, 'DC01', 'WINDOWS_SERVER'),
    device(13, 'MAC-7', 'MAC'),
    device(14, 'web01', 'LINUX_SERVER', ORG, true),
    device(15, 'printer-1', 'NMS_PRINTER'),
    device(21, 'OTHER-1', 'WINDOWS_WORKSTATION', 99),
  );
  fake.osPatches.splice(0, fake.osPatches.length,
    osPatch('p1', 11, 'KB5036893', 'CRITICAL'),
    osPatch('p2', 11, 'KB5036620', 'IMPORTANT', 'MANUAL'),
    osPatch('p3', 11, 'KB5036000', 'MODERATE'),
    osPatch('p4', 12, 'KB5036909', 'CRITICAL'),
    osPatch('p5', 12, 'KB5034441', 'OPTIONAL', 'REJECTED'),
    osPatch('p9', 21, 'KB5036893', 'CRITICAL'),
  );
  fake.softwarePatches.splice(0, fake.softwarePatches.length, {
    id: 's1', productIdentifier: 'Google Chrome', title: 'Google Chrome 131.0.6778.86', impact: 'CRITICAL', status: 'APPROVED', type: 'PATCH', deviceId: 11, timestamp: 1764547200,
  });
  fake.software.splice(0, fake.software.length,
    { deviceId: 11, name: 'Google Chrome', publisher: 'Google LLC', version: '131.0.6778.86', installDate: '2026-10-01', timestamp: 1764547200 },
    { deviceId: 11, name: '7-Zip 24.08 (x64)', publisher: 'Igor Pavlov', version: '24.08', installDate: '2026-09-01', timestamp: 1764547200 },
    { deviceId: 12, name: 'Java 8 Update 401', publisher: 'Oracle Corporation', version: '8.0.4010', installDate: '2026-01-01', timestamp: 1764547200 },
    { deviceId: 21, name: 'Other org app', publisher: 'x', version: '1', installDate: '2026-01-01', timestamp: 1764547200 },
  );
  fake.installs.length = 0;
  fake.activities.length = 0;
  fake.applies.length = 0;
  fake.failingKbs.clear();
  fake.applyLagReads = 1;
});

describe('NinjaOne adapter against a fake NinjaOne API v2', () => {
  it('gets a client-credentials token without offline_access and pages devices with `after`', async () => {
    const devices = await adapter().listDevices(CLIENT);
    expect(devices).toEqual([
      { hostname: 'WS-001', os: 'windows', role: 'workstation', online: true, software: [] },
      { hostname: 'DC01', os: 'windows', role: 'server', online: true, software: [] },
      { hostname: 'MAC-7', os: 'macos', role: 'workstation', online: true, software: [] },
      { hostname: 'web01', os: 'linux', role: 'server', online: false, software: [] },
    ]);
    const token = fake.calls[0]!;
    expect(token.path).toBe('/ws/oauth/token');
    expect(new URLSearchParams(token.body).get('scope')).toBe('monitoring management control');
    const pages = fake.calls.filter((c) => c.path === '/v2/devices-detailed');
    expect(pages.map((c) => c.query.get('after'))).toEqual([null, '12', '14']);
    expect(pages.every((c) => c.query.get('df') === 'org = 7' && c.query.get('pageSize') === '2')).toBe(true);
  });

  it('lists the software inventory of the organization through the cursor-paged software query', async () => {
    const software = await adapter().listSoftware(CLIENT);
    expect(software).toEqual([
      { hostname: 'WS-001', applications: ['7-Zip 24.08 (x64)', 'Google Chrome'] },
      { hostname: 'DC01', applications: ['Java 8 Update 401'] },
      { hostname: 'MAC-7', applications: [] },
      { hostname: 'web01', applications: [] },
    ]);
    const pages = fake.calls.filter((c) => c.path === '/v2/queries/software');
    expect(pages.length).toBe(2);
    expect(pages.every((c) => c.query.get('df') === 'org = 7')).toBe(true);
  });

  it('lists missing OS and software patches through the cursor-paged queries, rejected ones left out', async () => {
    const missing = await adapter().listMissingPatches(CLIENT, ['ws-001', 'DC01']);
    expect(missing).toEqual([
      { hostname: 'ws-001', patchId: 'KB5036893', title: '2026-11 Cumulative Update (KB5036893)', product: 'Operating system', severity: 'critical' },
      { hostname: 'ws-001', patchId: 'KB5036620', title: '2026-11 Cumulative Update (KB5036620)', product: 'Operating system', severity: 'high' },
      { hostname: 'ws-001', patchId: 'KB5036000', title: '2026-11 Cumulative Update (KB5036000)', product: 'Operating system', severity: 'routine' },
      { hostname: 'DC01', patchId: 'KB5036909', title: '2026-11 Cumulative Update (KB5036909)', product: 'Operating system', severity: 'critical' },
      { hostname: 'ws-001', patchId: 'sw:s1', title: 'Google Chrome 131.0.6778.86', product: 'Google Chrome', severity: 'critical' },
    ]);
    const osPages = fake.calls.filter((c) => c.path === '/v2/queries/os-patches');
    expect(osPages.length).toBeGreaterThanOrEqual(3);
    expect(osPages[0]!.query.get('cursor')).toBeNull();
    expect(osPages[1]!.query.get('cursor')).toMatch(/^c\d+$/);
  });

  it('applies an approved KB and reads completion from the install records, naming patches that rode along', async () => {
    fake.applyLagReads = 2;
    const rmm = adapter();
    const { jobId } = await rmm.submitDeployment(deploy('WS-001', 'KB5036893'));
    expect(fake.applies).toEqual([{ deviceId: 11, kind: 'os', installed: [] }]);
    expect(await rmm.jobStatus(CLIENT, jobId)).toMatchObject({ state: 'running' });
    const done = await rmm.jobStatus(CLIENT, jobId);
    expect(done.state).toBe('succeeded');
    // Apply installs every approved patch of the device: the evidence says so.
    expect(done.detail).toBe('KB5036893 installed; the same apply also installed KB5036000');
    expect(await rmm.rescan(CLIENT, 'WS-001', ['KB5036893', 'KB5036620', 'KB0000001'])).toEqual({
      hostname: 'WS-001',
      installed: { KB5036893: true, KB5036620: false, KB0000001: false },
    });
    // A retried submit after success runs nothing.
    const applies = fake.applies.length;
    await rmm.submitDeployment(deploy('WS-001', 'KB5036893'));
    expect(fake.applies.length).toBe(applies);
  });

  it('refuses a KB that NinjaOne has not approved, and one it rejected, without applying anything', async () => {
    await expect(adapter().submitDeployment(deploy('WS-001', 'KB5036620'))).rejects.toMatchObject({
      type: 'VendorRejected',
      nonRetryable: true,
      message: expect.stringMatching(/^NinjaOne: KB5036620 is not approved for WS-001\. .*approve it in the device's patch policy/),
    });
    await expect(adapter().submitDeployment(deploy('DC01', 'KB5034441'))).rejects.toThrow(/rejected for DC01 in NinjaOne \(a rejection beats any approval\)/);
    expect(fake.applies).toHaveLength(0);
  });

  it('reports a failed install from the install records and the activity feed', async () => {
    fake.failingKbs.add('KB5036909');
    const rmm = adapter();
    const { jobId } = await rmm.submitDeployment(deploy('DC01', 'KB5036909'));
    await rmm.jobStatus(CLIENT, jobId);
    expect(await rmm.jobStatus(CLIENT, jobId)).toMatchObject({ state: 'failed', detail: expect.stringContaining('KB5036909 install failed') });
  });

  it('completes a software patch from the activity feed', async () => {
    const rmm = adapter();
    const { jobId } = await rmm.submitDeployment(deploy('WS-001', 'sw:s1'));
    expect(fake.applies[0]).toMatchObject({ deviceId: 11, kind: 'software' });
    expect(await rmm.jobStatus(CLIENT, jobId)).toMatchObject({ state: 'running' });
    expect(await rmm.jobStatus(CLIENT, jobId)).toMatchObject({ state: 'succeeded' });
  });

  it('logs in again once when the token dies before its expiry', async () => {
    const rmm = adapter();
    await rmm.listDevices(CLIENT);
    fake.tokens.revokeAll();
    await rmm.listDevices(CLIENT);
    expect(fake.calls.filter((c) => c.path === '/ws/oauth/token')).toHaveLength(2);
    expect(fake.calls.filter((c) => c.status === 401)).toHaveLength(1);
  });

  it('refuses bad credentials for good, naming the vendor', async () => {
    await expect(adapter({ clientSecret: 'wrong' }).listDevices(CLIENT)).rejects.toMatchObject({
      nonRetryable: true,
      message: expect.stringMatching(/^NinjaOne POST \/ws\/oauth\/token was refused with HTTP 401 \(check the credentials/),
    });
  });

  it('waits out a 429 for its Retry-After', async () => {
    const rmm = adapter();
    await rmm.listDevices(CLIENT);
    fake.rateLimitNext(3);
    await rmm.listDevices(CLIENT);
    expect(waits).toEqual([3000]);
  });

  it('hands 5xx and timeouts back to Temporal as retryable', async () => {
    fake.answerNext({ status: 503, body: { error: 'Service Unavailable' } }, '/v2/devices-detailed');
    await expect(adapter().listDevices(CLIENT)).rejects.toMatchObject({ type: 'VendorUnavailable', nonRetryable: false, status: 503 });
    fake.answerNext({ status: 200, body: [], delayMs: 500 }, '/v2/devices-detailed');
    await expect(adapter({ timeoutMs: 100 }).listDevices(CLIENT)).rejects.toMatchObject({
      type: 'VendorUnavailable',
      nonRetryable: false,
      message: expect.stringContaining('no answer within 100 ms'),
    });
  });

  it('a malformed page fails the call naming the field, and nothing is applied', async () => {
    fake.answerNext({ status: 200, body: { cursor: { name: 'x' }, results: [{ id: 'p1', name: 'x', status: 'APPROVED', deviceId: 'eleven' }] } }, '/v2/queries/os-patches');
    await expect(adapter().submitDeployment(deploy('WS-001', 'KB5036893'))).rejects.toMatchObject({
      type: 'VendorRejected',
      message: expect.stringMatching(/^NinjaOne GET \/v2\/queries\/os-patches answered with an unexpected shape: response\.results\[0\]\.deviceId: /),
    });
    fake.answerNext({ status: 200, raw: '<html>maintenance</html>' }, '/v2/devices-detailed');
    await expect(adapter().listDevices(CLIENT)).rejects.toThrow(/NinjaOne GET \/v2\/devices-detailed answered HTTP 200 with a body that is not JSON/);
    expect(fake.applies).toHaveLength(0);
  });

  it('says rollback by uninstall is not possible through its API', async () => {
    await expect(adapter().submitUninstall(deploy('WS-001', 'KB5036893'))).rejects.toThrow(/NinjaOne: its API cannot uninstall a patch/);
  });
});
