import { type FakeRequest, type FakeResponse, type FakeServer, startFakeServer } from './fake-http';
import { type FakeTokens, fakeTokens, parseForm } from './oauth-tokens';

// NinjaOne API v2 as documented: client-credentials tokens from /ws/oauth/token (offline_access is
// refused for that grant), devices paged with `after` (last id) and `pageSize`, the patch queries
// paged with an opaque cursor, scan/apply answering 204 with no job id, installs and the activity
// feed as the only record of what an apply did. Apply installs every APPROVED patch of the device.

export interface FakeNinjaDevice {
  id: number;
  organizationId: number;
  locationId: number;
  nodeClass: string;
  offline: boolean;
  displayName: string;
  systemName: string;
  lastContact: number;
}

export interface FakeOsPatch {
  id: string;
  name: string;
  kbNumber?: string;
  severity: 'OPTIONAL' | 'MODERATE' | 'IMPORTANT' | 'CRITICAL';
  status: 'MANUAL' | 'APPROVED' | 'FAILED' | 'REJECTED';
  type: string;
  deviceId: number;
  timestamp: number;
}

export interface FakeSoftwarePatch {
  id: string;
  productIdentifier: string;
  title: string;
  impact: 'OPTIONAL' | 'RECOMMENDED' | 'CRITICAL';
  status: 'MANUAL' | 'APPROVED' | 'FAILED' | 'REJECTED';
  type: 'PATCH' | 'INSTALLER';
  deviceId: number;
  timestamp: number;
}

export interface FakeInstall {
  id: string;
  name: string;
  kbNumber?: string;
  status: 'INSTALLED' | 'FAILED';
  installedAt: number;
  deviceId: number;
  timestamp: number;
}

export interface FakeActivity {
  id: number;
  activityTime: number;
  deviceId: number;
  activityType: 'PATCH_MANAGEMENT';
  statusCode: string;
  status: string;
  message: string;
}

/** A row of the software inventory query (`GET /v2/queries/software`). */
export interface FakeSoftware {
  deviceId: number;
  name: string;
  publisher: string;
  version: string;
  installDate: string;
  timestamp: number;
}

export interface FakeNinjaOne extends FakeServer {
  tokens: FakeTokens;
  devices: FakeNinjaDevice[];
  software: FakeSoftware[];
  osPatches: FakeOsPatch[];
  softwarePatches: FakeSoftwarePatch[];
  installs: FakeInstall[];
  activities: FakeActivity[];
  /** KBs whose install fails on the device. */
  failingKbs: Set<string>;
  /** Every apply the fake received, by device. */
  applies: { deviceId: number; kind: 'os' | 'software'; installed: string[] }[];
  /** Applies run in the background: they finish after this many further reads of the device's state. */
  applyLagReads: number;
}

/** `org = 3`, `id = 5`, `id in (1,2)`, `org = 3 AND id = 5` (NinjaOne's df syntax, the parts we use). */
function deviceFilter(df: string | null): (deviceId: number, organizationId: number) => boolean {
  if (!df) return () => true;
  const tests = df.split(/\s+AND\s+/i).map((part) => {
    const eq = /^\s*(org|id)\s*=\s*(\d+)\s*$/i.exec(part);
    if (eq) return { field: eq[1]!.toLowerCase(), ids: [Number(eq[2])] };
    const inList = /^\s*(org|id)\s+in\s*\(([\d\s,]+)\)\s*$/i.exec(part);
    if (inList) return { field: inList[1]!.toLowerCase(), ids: inList[2]!.split(',').map((v) => Number(v.trim())) };
    throw new Error(`unsupported df ${df}`);
  });
  return (deviceId, organizationId) => tests.every((t) => t.ids.includes(t.field === 'org' ? organizationId : deviceId));
}

export async function startFakeNinjaOne(credentials: { clientId: string; clientSecret: string }): Promise<FakeNinjaOne> {
  const tokens = fakeTokens(3600);
  const devices: FakeNinjaDevice[] = [];
  const osPatches: FakeOsPatch[] = [];
  const softwarePatches: FakeSoftwarePatch[] = [];
  const software: FakeSoftware[] = [];
  const installs: FakeInstall[] = [];
  const activities: FakeActivity[] = [];
  const failingKbs = new Set<string>();
  const applies: FakeNinjaOne['applies'] = [];
  const cursors = new Map<string, { offset: number; key: string }>();
  const pending = new Map<number, { kind: 'os' | 'software'; readsLeft: number }>();
  let nextActivity = 1000;
  let nextCursor = 1;
  let nextInstall = 1;
  const ref: { self?: FakeNinjaOne } = {};
  const nowSec = () => Math.floor(Date.now() / 1000);

  const activity = (deviceId: number, statusCode: string, message: string) =>
    activities.push({ id: nextActivity++, activityTime: Date.now() / 1000, deviceId, activityType: 'PATCH_MANAGEMENT', statusCode, status: statusCode.endsWith('FAILED') ? 'FAILED' : 'COMPLETED', message });

  const finishApply = (deviceId: number, kind: 'os' | 'software') => {
    const installed: string[] = [];
    if (kind === 'os') {
      for (const patch of osPatches.filter((p) => p.deviceId === deviceId && p.status === 'APPROVED')) {
        const key = patch.kbNumber ?? patch.id;
        if (failingKbs.has(key)) {
          patch.status = 'FAILED';
          installs.push({ id: `i${nextInstall++}`, name: patch.name, kbNumber: patch.kbNumber, status: 'FAILED', installedAt: nowSec(), deviceId, timestamp: nowSec() });
          activity(deviceId, 'PATCH_MANAGEMENT_INSTALL_FAILED', `${patch.name} failed to install`);
        } else {
          osPatches.splice(osPatches.indexOf(patch), 1);
          installs.push({ id: `i${nextInstall++}`, name: patch.name, kbNumber: patch.kbNumber, status: 'INSTALLED', installedAt: nowSec(), deviceId, timestamp: nowSec() });
          installed.push(key);
        }
      }
    } else {
      for (const patch of softwarePatches.filter((p) => p.deviceId === deviceId && p.status === 'APPROVED')) {
        softwarePatches.splice(softwarePatches.indexOf(patch), 1);
        installed.push(patch.id);
      }
    }
    applies.find((a) => a.deviceId === deviceId && a.installed.length === 0 && a.kind === kind)?.installed.push(...installed);
    activity(deviceId, 'PATCH_MANAGEMENT_APPLY_PATCH_COMPLETED', `Patch apply completed (${installed.length} installed)`);
  };

  const tick = (deviceIds: number[]) => {
    for (const deviceId of deviceIds) {
      const job = pending.get(deviceId);
      if (!job) continue;
      if (job.readsLeft <= 0) {
        pending.delete(deviceId);
        finishApply(deviceId, job.kind);
      } else {
        job.readsLeft--;
      }
    }
  };

  /** NinjaOne's query pages: `{cursor: {name, offset, count, expires}, results}`; the cursor names the next page. */
  const page = <T>(req: FakeRequest, key: string, rows: T[]): FakeResponse => {
    const pageSize = Number(req.query.get('pageSize') ?? 1000);
    const cursorName = req.query.get('cursor');
    let offset = 0;
    if (cursorName) {
      const cursor = cursors.get(cursorName);
      if (!cursor || cursor.key !== key) return { status: 400, body: { error: 'invalid_cursor', errorMessage: 'Cursor expired or unknown' } };
      offset = cursor.offset;
    }
    const results = rows.slice(offset, offset + pageSize);
    const name = `c${nextCursor++}`;
    cursors.set(name, { offset: offset + results.length, key });
    return { status: 200, body: { cursor: { name, offset, count: results.length, expires: nowSec() + 3600 }, results } };
  };

  const handle = (req: FakeRequest): FakeResponse => {
    if (req.method === 'POST' && req.path === '/ws/oauth/token') {
      const form = parseForm(req.body);
      if (form.grant_type !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } };
      if (form.client_id !== credentials.clientId || form.client_secret !== credentials.clientSecret) return { status: 401, body: { error: 'invalid_client' } };
      if ((form.scope ?? '').split(' ').includes('offline_access')) return { status: 400, body: { error: 'invalid_scope', error_description: 'offline_access is not allowed for client_credentials' } };
      return { status: 200, body: { ...tokens.issue(), scope: form.scope } };
    }
    if (!tokens.accepts(req.headers.authorization)) return { status: 401, body: { error: 'Unauthorized' } };

    const df = deviceFilter(req.query.get('df'));
    const matching = (deviceId: number) => {
      const device = devices.find((d) => d.id === deviceId);
      return device !== undefined && df(device.id, device.organizationId);
    };
    const filteredIds = devices.filter((d) => df(d.id, d.organizationId)).map((d) => d.id);

    if (req.method === 'GET' && (req.path === '/v2/devices' || req.path === '/v2/devices-detailed')) {
      const after = Number(req.query.get('after') ?? 0);
      const pageSize = Number(req.query.get('pageSize') ?? 1000);
      const rows = devices.filter((d) => df(d.id, d.organizationId) && d.id > after).sort((a, b) => a.id - b.id).slice(0, pageSize);
      return { status: 200, body: rows };
    }
    if (req.method === 'GET' && req.path === '/v2/queries/os-patches') {
      tick(filteredIds);
      const status = req.query.get('status');
      return page(req, `os|${req.query.get('df')}|${status}`, osPatches.filter((p) => matching(p.deviceId) && (!status || p.status === status)));
    }
    if (req.method === 'GET' && req.path === '/v2/queries/software') {
      return page(req, `inv|${req.query.get('df')}`, software.filter((row) => matching(row.deviceId)));
    }
    if (req.method === 'GET' && req.path === '/v2/queries/software-patches') {
      tick(filteredIds);
      const status = req.query.get('status');
      return page(req, `sw|${req.query.get('df')}|${status}`, softwarePatches.filter((p) => matching(p.deviceId) && (!status || p.status === status)));
    }
    if (req.method === 'GET' && req.path === '/v2/queries/os-patch-installs') {
      tick(filteredIds);
      const status = req.query.get('status');
      return page(req, `inst|${req.query.get('df')}|${status}`, installs.filter((i) => matching(i.deviceId) && (!status || i.status === status)));
    }
    const patchAction = /^\/v2\/device\/(\d+)\/patch\/(os|software)\/(scan|apply)$/.exec(req.path);
    if (req.method === 'POST' && patchAction) {
      const device = devices.find((d) => d.id === Number(patchAction[1]));
      if (!device) return { status: 404, body: { error: 'Device not found' } };
      if (device.offline) return { status: 400, body: { error: 'Device is offline' } };
      const kind = patchAction[2] as 'os' | 'software';
      if (patchAction[3] === 'apply') {
        applies.push({ deviceId: device.id, kind, installed: [] });
        if (!pending.has(device.id)) pending.set(device.id, { kind, readsLeft: ref.self?.applyLagReads ?? 1 });
      }
      return { status: 204 };
    }
    const deviceActivities = /^\/v2\/device\/(\d+)\/activities$/.exec(req.path);
    if (req.method === 'GET' && deviceActivities) {
      const deviceId = Number(deviceActivities[1]);
      tick([deviceId]);
      const newerThan = Number(req.query.get('newerThan') ?? 0);
      const type = req.query.get('activityType');
      const pageSize = Number(req.query.get('pageSize') ?? 200);
      const rows = activities
        .filter((a) => a.deviceId === deviceId && a.id > newerThan && (!type || a.activityType === type))
        .sort((a, b) => b.id - a.id)
        .slice(0, pageSize);
      return { status: 200, body: { lastActivityId: activities.length ? activities[activities.length - 1]!.id : 0, activities: rows } };
    }
    return { status: 404, body: { error: 'Not found' } };
  };

  const server = await startFakeServer(handle);
  ref.self = Object.assign(server, { tokens, devices, software, osPatches, softwarePatches, installs, activities, failingKbs, applies, applyLagReads: 1 });
  return ref.self;
}
