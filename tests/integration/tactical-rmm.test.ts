import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TacticalRmm } from '../../activities/adapters/rmm/tactical-rmm';
import type { DeploymentRequest } from '../../activities/ports';
import { type FakeTacticalRmm, startFakeTacticalRmm } from '../support/fakes/tactical-rmm-server';

const API_KEY = 'TACTICAL-TEST-KEY';
const CLIENT = 'acme-dental';
let fake: FakeTacticalRmm;
const waits: number[] = [];

function adapter(apiKey = API_KEY): TacticalRmm {
  return new TacticalRmm({
    baseUrl: fake.url,
    apiKey,
    clientId: CLIENT,
    tacticalClientName: 'Acme Dental',
    workloadCommands: { 'ehr-access': { shell: 'powershell', cmd: 'Test-EhrLogin', timeout: 30 } },
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
}

function deploy(hostname: string, patchId: string): DeploymentRequest {
  return { key: `cycle/acme-dental/c1|pilot|${hostname}|${patchId}`, clientId: CLIENT, cycleId: 'cycle/acme-dental/c1', ring: 'pilot', hostname, patchId };
}

const update = (id: number, kb: string, severity: string, installed = false) => ({
  id, kb, guid: `guid-${id}`, title: `2024-04 update ${kb}`, severity, installed, action: 'nothing' as const,
  result: installed ? ('success' as const) : ('n/a' as const), date_installed: null,
});

beforeAll(async () => {
  fake = await startFakeTacticalRmm(API_KEY);
});

afterAll(async () => {
  await fake?.stop();
});

beforeEach(() => {
  fake.calls.length = 0;
  waits.length = 0;
  fake.agents.splice(0, fake.agents.length,
    { agent_id: 'AGT-ws1', hostname: 'WS-001', client_name: 'Acme Dental', site_name: 'HQ', plat: 'windows', status: 'online', monitoring_type: 'workstation', needs_reboot: false, has_patches_pending: true },
    { agent_id: 'AGT-srv', hostname: 'DC01', client_name: 'Acme Dental', site_name: 'HQ', plat: 'windows', status: 'offline', monitoring_type: 'server', needs_reboot: false, has_patches_pending: true },
    { agent_id: 'AGT-lnx', hostname: 'web01', client_name: 'Acme Dental', site_name: 'DMZ', plat: 'linux', status: 'online', monitoring_type: 'server', needs_reboot: false, has_patches_pending: false },
    { agent_id: 'AGT-other', hostname: 'OTHER-1', client_name: 'Other Clinic', site_name: 'HQ', plat: 'windows', status: 'online', monitoring_type: 'workstation', needs_reboot: false, has_patches_pending: false },
  );
  fake.updates.clear();
  fake.updates.set('AGT-ws1', [update(11, 'KB5036893', 'Critical'), update(12, 'KB5036620', 'Important'), update(13, 'KB890830', '', true)]);
  fake.updates.set('AGT-srv', [update(21, 'KB5036909', 'Critical')]);
  fake.failingKbs.clear();
  fake.commandOutput.clear();
  fake.software.clear();
});

const installed = (name: string, version = '1.0') => ({ name, version, publisher: 'Vendor', install_date: '2026-01-10', size: '12 MB', source: '', location: '', uninstall: '' });

describe('Tactical RMM adapter against a fake Tactical server', () => {
  it('lists only the client’s agents, with OS, role and online state', async () => {
    const devices = await adapter().listDevices(CLIENT);
    expect(devices).toEqual([
      { hostname: 'WS-001', os: 'windows', role: 'workstation', online: true, software: [] },
      { hostname: 'DC01', os: 'windows', role: 'server', online: false, software: [] },
      { hostname: 'web01', os: 'linux', role: 'server', online: true, software: [] },
    ]);
    expect(fake.calls[0]).toMatchObject({ method: 'GET', path: '/agents/' });
    expect(fake.calls[0]!.query.get('detail')).toBe('true');
  });

  it('lists missing Windows updates with MSRC severities mapped to ours', async () => {
    const missing = await adapter().listMissingPatches(CLIENT, ['ws-001', 'web01']);
    expect(missing).toEqual([
      { hostname: 'ws-001', patchId: 'KB5036893', title: '2024-04 update KB5036893', product: 'Windows', severity: 'critical' },
      { hostname: 'ws-001', patchId: 'KB5036620', title: '2024-04 update KB5036620', product: 'Windows', severity: 'high' },
    ]);
  });

  it('plans a large fleet with a bounded number of agents asked at once', async () => {
    const hosts = Array.from({ length: 24 }, (_, i) => `WS-${String(100 + i)}`);
    for (const [i, hostname] of hosts.entries()) {
      const agentId = `AGT-many-${i}`;
      fake.agents.push({ agent_id: agentId, hostname, client_name: 'Acme Dental', site_name: 'HQ', plat: 'windows', status: 'online', monitoring_type: 'workstation', needs_reboot: false, has_patches_pending: true });
      fake.updates.set(agentId, [update(500 + i, 'KB5036893', 'Critical')]);
      // Each agent's list takes a moment, so requests overlap when they are sent together.
      fake.answerNext({ status: 200, body: fake.updates.get(agentId), delayMs: 50 }, `/winupdate/${agentId}/`);
    }
    const missing = await adapter().listMissingPatches(CLIENT, hosts);
    expect(missing.map((m) => m.hostname)).toEqual(hosts);
    expect(fake.peakConcurrent).toBeGreaterThan(1);
    expect(fake.peakConcurrent).toBeLessThanOrEqual(8);
  });

  it('installs only planned KBs: an approval outside the plan would ride along, so that asset is refused by name', async () => {
    fake.updates.get('AGT-ws1')!.find((u) => u.kb === 'KB5036620')!.action = 'approve';
    await expect(adapter().submitDeployment(deploy('WS-001', 'KB5036893'))).rejects.toMatchObject({
      nonRetryable: true,
      message: expect.stringContaining('approved updates outside the plan (KB5036620)'),
    });
    expect(fake.calls.some((c) => c.path.endsWith('/install/'))).toBe(false);
    // Both planned for this host: one install installs both, as Tactical does.
    const rmm = adapter();
    await rmm.submitDeployment({ ...deploy('WS-001', 'KB5036893'), plannedPatchIds: ['KB5036893', 'KB5036620'] });
    await rmm.jobStatus(CLIENT, 'AGT-ws1:KB5036893');
    await rmm.jobStatus(CLIENT, 'AGT-ws1:KB5036893');
    expect(fake.updates.get('AGT-ws1')!.filter((u) => u.installed).map((u) => u.kb).sort()).toEqual(['KB5036620', 'KB5036893', 'KB890830']);
  });

  it('withdraws its approval when it uninstalls, so Tactical’s own schedule does not put the KB back', async () => {
    const kb = fake.updates.get('AGT-ws1')!.find((u) => u.kb === 'KB5036893')!;
    Object.assign(kb, { installed: true, action: 'approve', result: 'success' });
    const rmm = adapter();
    const { jobId } = await rmm.submitUninstall(deploy('WS-001', 'KB5036893'));
    expect(await rmm.jobStatus(CLIENT, jobId)).toMatchObject({ state: 'succeeded' });
    expect(kb).toMatchObject({ installed: false, action: 'nothing' });
  });

  it('approves and installs a KB, and reports the job from the agent’s update list', async () => {
    const rmm = adapter();
    const { jobId } = await rmm.submitDeployment(deploy('WS-001', 'KB5036893'));
    expect(jobId).toBe('AGT-ws1:KB5036893');
    expect(fake.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /agents/',
      'GET /winupdate/AGT-ws1/',
      'PUT /winupdate/11/',
      'POST /winupdate/AGT-ws1/install/',
    ]);
    expect(JSON.parse(fake.calls[2]!.body)).toEqual({ action: 'approve' });
    expect(await rmm.jobStatus(CLIENT, jobId)).toMatchObject({ state: 'running' });
    const done = await rmm.jobStatus(CLIENT, jobId);
    expect(done).toMatchObject({ state: 'succeeded', finishedAt: '2026-11-29T03:12:00Z' });
    expect(done.detail).toContain('KB5036893 installed');
    expect(await rmm.rescan(CLIENT, 'WS-001', ['KB5036893', 'KB5036620', 'KB0000001'])).toEqual({
      hostname: 'WS-001',
      installed: { KB5036893: true, KB5036620: false, KB0000001: false },
    });
  });

  it('does not approve or install again when the same deployment is submitted twice', async () => {
    const rmm = adapter();
    const first = await rmm.submitDeployment(deploy('WS-001', 'KB5036893'));
    const second = await rmm.submitDeployment(deploy('WS-001', 'KB5036893'));
    expect(second).toEqual(first);
    expect(fake.calls.filter((c) => c.method === 'PUT')).toHaveLength(1);
    // Once installed, a retry touches nothing at all.
    await rmm.jobStatus(CLIENT, first.jobId);
    await rmm.jobStatus(CLIENT, first.jobId);
    const before = fake.calls.filter((c) => c.method !== 'GET').length;
    await rmm.submitDeployment(deploy('WS-001', 'KB5036893'));
    expect(fake.calls.filter((c) => c.method !== 'GET').length).toBe(before);
  });

  it('reports a failed install as a failed job', async () => {
    fake.failingKbs.add('KB5036620');
    const rmm = adapter();
    const { jobId } = await rmm.submitDeployment(deploy('WS-001', 'KB5036620'));
    await rmm.jobStatus(CLIENT, jobId);
    expect(await rmm.jobStatus(CLIENT, jobId)).toMatchObject({ state: 'failed', detail: expect.stringContaining('result: failed') });
  });

  it('turns Tactical’s bare-string 400 into a non-retryable error naming the vendor', async () => {
    await expect(adapter().submitDeployment(deploy('DC01', 'KB5036909'))).rejects.toMatchObject({
      nonRetryable: true,
      status: 400,
      message: expect.stringMatching(/^Tactical RMM POST \/winupdate\/AGT-srv\/install\/ was refused with HTTP 400: Unable to contact the agent$/),
    });
  });

  it('refuses bad credentials without retrying', async () => {
    await expect(adapter('wrong-key').listDevices(CLIENT)).rejects.toMatchObject({
      nonRetryable: true,
      status: 401,
      message: expect.stringMatching(/Tactical RMM .*HTTP 401.*credentials/),
    });
    expect(fake.calls).toHaveLength(1);
  });

  it('waits out a 429 for its Retry-After and then succeeds', async () => {
    fake.rateLimitNext(2);
    const devices = await adapter().listDevices(CLIENT);
    expect(devices).toHaveLength(3);
    expect(waits).toEqual([2000]);
    expect(fake.calls.map((c) => c.status)).toEqual([429, 200]);
  });

  it('uninstalls with wusa through the cmd endpoint and confirms from the next scan', async () => {
    fake.updates.get('AGT-ws1')![2]!.kb = 'KB5036893';
    fake.updates.get('AGT-ws1')!.splice(0, 1);
    const rmm = adapter();
    const { jobId } = await rmm.submitUninstall(deploy('WS-001', 'KB5036893'));
    expect(jobId).toBe('uninstall:AGT-ws1:KB5036893');
    const cmd = fake.calls.find((c) => c.path === '/agents/AGT-ws1/cmd/')!;
    expect(JSON.parse(cmd.body)).toMatchObject({ shell: 'cmd', cmd: 'wusa.exe /uninstall /kb:5036893 /quiet /norestart' });
    expect(await rmm.jobStatus(CLIENT, jobId)).toMatchObject({ state: 'succeeded' });
    expect((await rmm.rescan(CLIENT, 'WS-001', ['KB5036893'])).installed).toEqual({ KB5036893: false });
  });

  it('runs workload checks as agent commands and fails unconfigured ones', async () => {
    fake.commandOutput.set('Test-EhrLogin', 'login page 200\r\nOK\r\n');
    expect(await adapter().runWorkloadCheck(CLIENT, 'WS-001', 'ehr-access')).toMatchObject({ ok: true });
    fake.commandOutput.set('Test-EhrLogin', 'FAIL EHR unreachable');
    expect(await adapter().runWorkloadCheck(CLIENT, 'WS-001', 'ehr-access')).toMatchObject({ ok: false, detail: expect.stringContaining('FAIL EHR unreachable') });
    expect(await adapter().runWorkloadCheck(CLIENT, 'WS-001', 'file-access')).toMatchObject({ ok: false, detail: expect.stringContaining('no command configured') });
  });

  it('lists each agent’s installed software for discovery; an agent that never sent its list is left out', async () => {
    fake.software.set('AGT-ws1', [installed('Google Chrome', '120.0'), installed('Dentrix G7'), installed('Google Chrome', '121.0')]);
    fake.software.set('AGT-lnx', [installed('nginx')]);
    fake.software.set('AGT-other', [installed('Not ours')]);
    expect(await adapter().listSoftware(CLIENT)).toEqual([
      { hostname: 'WS-001', applications: ['Dentrix G7', 'Google Chrome'] },
      { hostname: 'web01', applications: ['nginx'] },
    ]);
    expect(fake.calls.filter((c) => c.path.startsWith('/software/')).map((c) => c.path).sort()).toEqual(['/software/AGT-lnx/', '/software/AGT-srv/', '/software/AGT-ws1/']);
  });

  it('refuses a malformed software list naming the agent’s call and the field', async () => {
    fake.answerNext({ status: 200, body: { id: 1, agent: 1, software: [{ version: '1.0' }] } }, '/software/AGT-ws1/');
    await expect(adapter().listSoftware(CLIENT)).rejects.toMatchObject({
      type: 'VendorRejected',
      nonRetryable: true,
      message: expect.stringMatching(/^Tactical RMM GET \/software\/AGT-ws1\/ answered with an unexpected shape: response(\.software\[0\]\.name|: )/),
    });
  });

  it('refuses a host that is not one of the client’s agents', async () => {
    await expect(adapter().submitDeployment(deploy('OTHER-1', 'KB5036893'))).rejects.toThrow(/no agent with hostname "OTHER-1"/);
  });
});
