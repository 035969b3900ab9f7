import { randomUUID } from 'node:crypto';
import { type FakeRequest, type FakeResponse, type FakeServer, startFakeServer } from './fake-http';
import { type FakeTokens, fakeTokens, parseForm } from './oauth-tokens';

// Datto RMM API v2 as documented: a password grant at /auth/oauth/token with the public client
// `public-client:public` (tokens live 100 h), site devices paged by `max`/`page` with an absolute
// `pageDetails.nextPageUrl`, quick jobs of a component (`PUT /device/{uid}/quickjob`), job status and
// per-device results. A quick job runs in the background and completes after the job is read once more.

export interface FakeDattoDevice {
  uid: string;
  siteUid: string;
  hostname: string;
  operatingSystem: string;
  deviceType: { category: string; type: string };
  online: boolean;
  rebootRequired: boolean;
  patchManagement: { patchStatus: string; patchesApprovedPending: number; patchesNotApproved: number; patchesInstalled: number };
}

export interface FakeDattoJob {
  uid: string;
  name: string;
  deviceUid: string;
  componentUid: string;
  variables: { name: string; value: string }[];
  status: 'active' | 'completed';
  readsLeft: number;
  outcome?: 'Success' | 'Failure';
}

export interface FakeDattoRmm extends FakeServer {
  tokens: FakeTokens;
  devices: FakeDattoDevice[];
  /** device uid → its software audit ({name, version}); paged like the device list. */
  software: Map<string, { name: string; version: string }[]>;
  jobs: FakeDattoJob[];
  components: Set<string>;
  /** Devices whose patch component fails. */
  failingDevices: Set<string>;
  /** Where nextPageUrl points (to test that another origin is not followed). */
  pageOrigin?: string;
}

export async function startFakeDattoRmm(credentials: { apiKey: string; apiSecret: string }, now: () => number = Date.now): Promise<FakeDattoRmm> {
  const tokens = fakeTokens(100 * 3600, now);
  const devices: FakeDattoDevice[] = [];
  const jobs: FakeDattoJob[] = [];
  const components = new Set<string>();
  const failingDevices = new Set<string>();
  const software = new Map<string, { name: string; version: string }[]>();
  const ref: { self?: FakeDattoRmm } = {};

  const finish = (job: FakeDattoJob) => {
    job.status = 'completed';
    const device = devices.find((d) => d.uid === job.deviceUid)!;
    if (failingDevices.has(device.hostname)) {
      job.outcome = 'Failure';
      device.patchManagement.patchStatus = 'InstallError';
      return;
    }
    job.outcome = 'Success';
    device.patchManagement.patchesInstalled += device.patchManagement.patchesApprovedPending;
    device.patchManagement.patchesApprovedPending = 0;
    device.patchManagement.patchStatus = 'FullyPatched';
  };

  // Datto pages with max/page and hands back the next page as an absolute URL.
  const paged = <T>(req: FakeRequest, rows: T[], field: 'devices' | 'software'): FakeResponse => {
    const max = Math.min(Number(req.query.get('max') ?? 250), 250);
    const page = Number(req.query.get('page') ?? 0);
    const slice = rows.slice(page * max, (page + 1) * max);
    const more = (page + 1) * max < rows.length;
    const origin = ref.self?.pageOrigin ?? ref.self?.url;
    return {
      status: 200,
      body: {
        pageDetails: { count: slice.length, totalCount: rows.length, prevPageUrl: null, nextPageUrl: more ? `${origin}${req.path}?max=${max}&page=${page + 1}` : null },
        [field]: slice,
      },
    };
  };

  const handle = (req: FakeRequest): FakeResponse => {
    if (req.method === 'POST' && req.path === '/auth/oauth/token') {
      if (req.headers.authorization !== `Basic ${Buffer.from('public-client:public').toString('base64')}`) return { status: 401, body: { error: 'unauthorized' } };
      const form = parseForm(req.body);
      if (form.grant_type !== 'password') return { status: 400, body: { error: 'unsupported_grant_type' } };
      if (form.username !== credentials.apiKey || form.password !== credentials.apiSecret) return { status: 400, body: { error: 'invalid_grant', error_description: 'Bad credentials' } };
      return { status: 200, body: { ...tokens.issue(), scope: 'default' } };
    }
    if (!tokens.accepts(req.headers.authorization)) return { status: 401, body: { error: 'invalid_token', error_description: 'Access token expired' } };

    const siteDevices = /^\/api\/v2\/site\/([^/]+)\/devices$/.exec(req.path);
    if (req.method === 'GET' && siteDevices) {
      return paged(req, devices.filter((d) => d.siteUid === siteDevices[1]), 'devices');
    }
    const audit = /^\/api\/v2\/audit\/device\/([^/]+)\/software$/.exec(req.path);
    if (req.method === 'GET' && audit) {
      const found = devices.find((d) => d.uid === audit[1]);
      if (!found) return { status: 404, body: { message: 'Device not found' } };
      return paged(req, software.get(found.uid) ?? [], 'software');
    }
    const quickJob = /^\/api\/v2\/device\/([^/]+)\/quickjob$/.exec(req.path);
    if (req.method === 'PUT' && quickJob) {
      const device = devices.find((d) => d.uid === quickJob[1]);
      if (!device) return { status: 404, body: { message: 'Device not found' } };
      const body = JSON.parse(req.body) as { jobName?: string; jobComponent?: { componentUid?: string; variables?: { name: string; value: string }[] } };
      if (!body.jobName || !body.jobComponent?.componentUid) return { status: 400, body: { message: 'jobName and jobComponent.componentUid are required' } };
      if (!components.has(body.jobComponent.componentUid)) return { status: 400, body: { message: `Component ${body.jobComponent.componentUid} not found` } };
      const job: FakeDattoJob = { uid: randomUUID(), name: body.jobName, deviceUid: device.uid, componentUid: body.jobComponent.componentUid, variables: body.jobComponent.variables ?? [], status: 'active', readsLeft: 1 };
      jobs.push(job);
      return { status: 200, body: { job: { id: jobs.length, uid: job.uid, name: job.name, dateCreated: new Date(now()).toISOString(), status: 'active' } } };
    }
    const jobStatus = /^\/api\/v2\/job\/([^/]+)$/.exec(req.path);
    if (req.method === 'GET' && jobStatus) {
      const job = jobs.find((j) => j.uid === jobStatus[1]);
      if (!job) return { status: 404, body: { message: 'Job not found' } };
      if (job.status === 'active') {
        if (job.readsLeft <= 0) finish(job);
        else job.readsLeft--;
      }
      return { status: 200, body: { id: jobs.indexOf(job) + 1, uid: job.uid, name: job.name, status: job.status } };
    }
    const results = /^\/api\/v2\/job\/([^/]+)\/results\/([^/]+)$/.exec(req.path);
    if (req.method === 'GET' && results) {
      const job = jobs.find((j) => j.uid === results[1] && j.deviceUid === results[2]);
      if (!job || job.status !== 'completed') return { status: 404, body: { message: 'No results' } };
      return {
        status: 200,
        body: {
          jobUid: job.uid,
          deviceUid: job.deviceUid,
          ranOn: '2026-12-01T03:12:00Z',
          jobDeploymentStatus: job.outcome,
          componentResults: [{ componentUid: job.componentUid, componentName: 'Windows Update - Install', componentStatus: job.outcome, numberOfWarnings: 0, hasStdOut: true, hasStdErr: false }],
        },
      };
    }
    return { status: 404, body: { message: 'Not found' } };
  };

  const server = await startFakeServer(handle);
  ref.self = Object.assign(server, { tokens, devices, software, jobs, components, failingDevices, pageOrigin: undefined as string | undefined });
  return ref.self;
}
