import { type FakeRequest, type FakeResponse, type FakeServer, startFakeServer } from './fake-http';

// Proxmox VE as it behaves for QEMU snapshots: PVEAPIToken auth, every answer wrapped in { data },
// form-encoded writes that return a task UPID, tasks that run for a while and stop with an
// exitstatus. A snapshot POST with a name already in use is accepted and fails inside the task.

export const PROXMOX_API_PATH = '/api2/json';

export interface FakeSnapshot {
  name: string;
  description: string;
  snaptime: number;
  vmstate: number;
}

interface FakeTask {
  node: string;
  pollsLeft: number;
  /** Runs when the task stops; returns the exitstatus. */
  finish: () => string;
  exitstatus?: string;
}

export interface FakeProxmox extends FakeServer {
  apiUrl: string;
  /** `node/vmid` → snapshots of that guest. */
  guests: Map<string, FakeSnapshot[]>;
  /** vmids whose rollback task fails. */
  failingRollbacks: Set<number>;
  /** How many status polls a task stays "running" for. */
  taskPolls: number;
  /** Rollbacks that completed, as `node/vmid/name`. */
  rollbacks: string[];
  /** `node/vmid` → power state. A rollback to a snapshot without RAM state leaves the guest stopped. */
  power: Map<string, 'running' | 'stopped'>;
  /** Called when a rollback task completes (tests tie the guest's disk to what the RMM sees). */
  onRollback?: (node: string, vmid: number, name: string) => void;
  /** `node/vmid` → guest config (name, net0…, the keys a config GET returns). */
  configs: Map<string, Record<string, string>>;
  /** Clones made, as `node/source vmid/snapname → newid`. */
  clones: string[];
  /** Guests destroyed, as `node/vmid`. */
  destroyed: string[];
  /** Source vmids whose clones do not boot (the start task fails). */
  failingBoots: Set<number>;
  /** Guests whose config PUT is silently ignored (a proxy or a lock that drops the change). */
  ignoredConfigWrites: Set<number>;
  /** Every guest started, with its network devices as they were at boot. */
  bootedWith: { guest: string; nets: string[] }[];
}

let upidCounter = 0x1a2b;

export async function startFakeProxmox(apiToken: string): Promise<FakeProxmox> {
  const guests = new Map<string, FakeSnapshot[]>();
  const failingRollbacks = new Set<number>();
  const tasks = new Map<string, FakeTask>();
  const rollbacks: string[] = [];
  const power = new Map<string, 'running' | 'stopped'>();
  const configs = new Map<string, Record<string, string>>();
  const clones: string[] = [];
  const destroyed: string[] = [];
  const failingBoots = new Set<number>();
  const ignoredConfigWrites = new Set<number>();
  const bootedWith: { guest: string; nets: string[] }[] = [];
  const cloneSource = new Map<string, number>();
  const state = { taskPolls: 1 };
  const usedIds = () => new Set([...guests.keys()].map((g) => Number(g.split('/')[1])));

  const startTask = (node: string, type: string, vmid: string, finish: () => string): string => {
    const upid = `UPID:${node}:000${(upidCounter++).toString(16).toUpperCase()}:0042F00D:6749A1B2:${type}:${vmid}:patchctl@pve!rollout:`;
    tasks.set(upid, { node, pollsLeft: state.taskPolls, finish });
    return upid;
  };

  const handle = (req: FakeRequest): FakeResponse => {
    if (req.headers.authorization !== `PVEAPIToken=${apiToken}`) return { status: 401, body: { data: null, message: 'authentication failure' } };
    if (!req.path.startsWith(PROXMOX_API_PATH)) return { status: 501, body: { data: null, message: 'Method not implemented' } };
    const parts = req.path.slice(PROXMOX_API_PATH.length).split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] === 'cluster' && parts[1] === 'nextid' && req.method === 'GET') {
      // Proxmox answers the id as a string.
      let id = 100;
      while (usedIds().has(id)) id++;
      return { status: 200, body: { data: String(id) } };
    }
    if (parts[0] !== 'nodes' || !parts[1]) return { status: 501, body: { data: null } };
    const node = parts[1];
    const form = () => new URLSearchParams(req.body);
    const formBody = () => String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded');

    if (parts[2] === 'qemu' && parts.length === 3 && req.method === 'GET') {
      const list = [...guests.keys()].filter((g) => g.startsWith(`${node}/`)).map((g) => {
        const vmid = Number(g.split('/')[1]);
        return { vmid, name: configs.get(g)?.name ?? `vm${vmid}`, status: power.get(g) ?? 'running' };
      });
      return { status: 200, body: { data: list } };
    }
    if (parts[2] === 'qemu' && parts[3] && parts.length === 5 && parts[4] === 'clone' && req.method === 'POST') {
      const source = `${node}/${parts[3]}`;
      const snapshots = guests.get(source);
      if (!snapshots) return { status: 500, body: { data: null, message: `Configuration file 'nodes/${node}/qemu-server/${parts[3]}.conf' does not exist` } };
      if (!formBody()) return { status: 400, body: { data: null, message: 'expected a form body' } };
      const body = form();
      const newid = Number(body.get('newid'));
      if (!Number.isInteger(newid) || newid < 100) return { status: 400, body: { data: null, errors: { newid: 'value must be an integer >= 100' } } };
      if (usedIds().has(newid)) return { status: 500, body: { data: null, message: `unable to create VM ${newid}: config file already exists` } };
      const snapname = body.get('snapname');
      if (snapname && body.get('full') !== '1') return { status: 500, body: { data: null, message: 'Full clone feature is not supported for drive (a linked clone of a snapshot needs a template)' } };
      const target = `${node}/${newid}`;
      // The id is taken as soon as the clone starts, as Proxmox locks the new config at once.
      guests.set(target, []);
      power.set(target, 'stopped');
      configs.set(target, { ...(configs.get(source) ?? {}), name: body.get('name') ?? `Copy-of-VM-${parts[3]}` });
      cloneSource.set(target, Number(parts[3]));
      const upid = startTask(node, 'qmclone', parts[3], () => {
        if (snapname && !snapshots.some((s) => s.name === snapname)) {
          guests.delete(target);
          configs.delete(target);
          return `snapshot '${snapname}' does not exist`;
        }
        clones.push(`${source}/${snapname ?? 'current'} → ${newid}`);
        return 'OK';
      });
      return { status: 200, body: { data: upid } };
    }
    if (parts[2] === 'qemu' && parts[3] && parts.length === 5 && parts[4] === 'config') {
      const guest = `${node}/${parts[3]}`;
      const config = configs.get(guest);
      if (!guests.has(guest)) return { status: 500, body: { data: null, message: `Configuration file 'nodes/${node}/qemu-server/${parts[3]}.conf' does not exist` } };
      if (req.method === 'GET') return { status: 200, body: { data: { ...(config ?? {}), digest: 'f00d' } } };
      if (req.method === 'PUT') {
        if (!formBody()) return { status: 400, body: { data: null, message: 'expected a form body' } };
        if (!ignoredConfigWrites.has(Number(parts[3]))) for (const [key, value] of form()) configs.set(guest, { ...configs.get(guest), [key]: value });
        return { status: 200, body: { data: null } };
      }
    }
    if (parts[2] === 'qemu' && parts[3] && parts.length === 4 && req.method === 'DELETE') {
      const guest = `${node}/${parts[3]}`;
      if (!guests.has(guest)) return { status: 500, body: { data: null, message: `Configuration file 'nodes/${node}/qemu-server/${parts[3]}.conf' does not exist` } };
      if (power.get(guest) === 'running') return { status: 500, body: { data: null, message: `VM ${parts[3]} is running - destroy failed` } };
      const upid = startTask(node, 'qmdestroy', parts[3], () => {
        guests.delete(guest);
        configs.delete(guest);
        power.delete(guest);
        destroyed.push(guest);
        return 'OK';
      });
      return { status: 200, body: { data: upid } };
    }

    if (parts[2] === 'tasks' && parts[4] === 'status' && req.method === 'GET') {
      const task = tasks.get(parts[3]!);
      if (!task || task.node !== node) return { status: 500, body: { data: null, message: `no such task '${parts[3]}'` } };
      if (task.exitstatus === undefined && task.pollsLeft > 0) {
        task.pollsLeft--;
        return { status: 200, body: { data: { status: 'running', upid: parts[3], node } } };
      }
      task.exitstatus ??= task.finish();
      return { status: 200, body: { data: { status: 'stopped', exitstatus: task.exitstatus, upid: parts[3], node } } };
    }

    if (parts[2] === 'qemu' && parts[3] && parts[4] === 'status' && guests.has(`${node}/${parts[3]}`)) {
      const guest = `${node}/${parts[3]}`;
      if (parts[5] === 'current' && req.method === 'GET') return { status: 200, body: { data: { status: power.get(guest) ?? 'running', vmid: Number(parts[3]) } } };
      if (parts[5] === 'start' && req.method === 'POST') {
        const upid = startTask(node, 'qmstart', parts[3], () => {
          if (power.get(guest) === 'running') return `VM ${parts[3]} already running`;
          const source = cloneSource.get(guest);
          if (source !== undefined && failingBoots.has(source)) return `start failed: QEMU exited with code 1`;
          power.set(guest, 'running');
          bootedWith.push({ guest, nets: Object.entries(configs.get(guest) ?? {}).filter(([k]) => /^net\d+$/.test(k)).map(([, v]) => v) });
          return 'OK';
        });
        return { status: 200, body: { data: upid } };
      }
      if (parts[5] === 'stop' && req.method === 'POST') {
        const upid = startTask(node, 'qmstop', parts[3], () => {
          power.set(guest, 'stopped');
          return 'OK';
        });
        return { status: 200, body: { data: upid } };
      }
    }
    if (parts[2] !== 'qemu' || !parts[3] || parts[4] !== 'snapshot') return { status: 501, body: { data: null } };
    const vmid = parts[3];
    const snapshots = guests.get(`${node}/${vmid}`);
    if (!snapshots) return { status: 500, body: { data: null, message: `Configuration file 'nodes/${node}/qemu-server/${vmid}.conf' does not exist` } };

    if (parts.length === 5 && req.method === 'GET') {
      return { status: 200, body: { data: [...snapshots, { name: 'current', description: 'You are here!', running: 1 }] } };
    }
    if (parts.length === 5 && req.method === 'POST') {
      if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) return { status: 400, body: { data: null, message: 'expected a form body' } };
      const form = new URLSearchParams(req.body);
      const snapname = form.get('snapname') ?? '';
      if (!/^[A-Za-z][A-Za-z0-9_-]{1,39}$/.test(snapname)) return { status: 400, body: { data: null, errors: { snapname: 'invalid format - invalid configuration ID' } } };
      const upid = startTask(node, 'qmsnapshot', vmid, () => {
        if (snapshots.some((s) => s.name === snapname)) return `snapshot name '${snapname}' already used`;
        snapshots.push({ name: snapname, description: form.get('description') ?? '', snaptime: 1764385200, vmstate: Number(form.get('vmstate') ?? 0) });
        return 'OK';
      });
      return { status: 200, body: { data: upid } };
    }
    if (parts.length === 7 && parts[6] === 'rollback' && req.method === 'POST') {
      const name = parts[5]!;
      const upid = startTask(node, 'qmrollback', vmid, () => {
        if (!snapshots.some((s) => s.name === name)) return `snapshot '${name}' does not exist`;
        if (failingRollbacks.has(Number(vmid))) return `VM ${vmid} qmp command 'loadvm' failed - got timeout`;
        rollbacks.push(`${node}/${vmid}/${name}`);
        if (!snapshots.find((s) => s.name === name)?.vmstate) power.set(`${node}/${vmid}`, 'stopped');
        fake.onRollback?.(node, Number(vmid), name);
        return 'OK';
      });
      return { status: 200, body: { data: upid } };
    }
    return { status: 501, body: { data: null } };
  };

  const server = await startFakeServer(handle);
  const fake: FakeProxmox = Object.assign(server, {
    apiUrl: `${server.url}${PROXMOX_API_PATH}`,
    guests, failingRollbacks, rollbacks, power, taskPolls: 0,
    configs, clones, destroyed, failingBoots, ignoredConfigWrites, bootedWith,
  });
  // An accessor, not a copied value: tests change it between cases and tasks read it when they start.
  Object.defineProperty(fake, 'taskPolls', {
    get: () => state.taskPolls,
    set: (value: number) => {
      state.taskPolls = value;
    },
  });
  return fake;
}
