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
}

let upidCounter = 0x1a2b;

export async function startFakeProxmox(apiToken: string): Promise<FakeProxmox> {
  const guests = new Map<string, FakeSnapshot[]>();
  const failingRollbacks = new Set<number>();
  const tasks = new Map<string, FakeTask>();
  const rollbacks: string[] = [];
  const power = new Map<string, 'running' | 'stopped'>();
  const state = { taskPolls: 1 };

  const startTask = (node: string, type: string, vmid: string, finish: () => string): string => {
    const upid = `UPID:${node}:000${(upidCounter++).toString(16).toUpperCase()}:0042F00D:6749A1B2:${type}:${vmid}:patchctl@pve!rollout:`;
    tasks.set(upid, { node, pollsLeft: state.taskPolls, finish });
    return upid;
  };

  const handle = (req: FakeRequest): FakeResponse => {
    if (req.headers.authorization !== `PVEAPIToken=${apiToken}`) return { status: 401, body: { data: null, message: 'authentication failure' } };
    if (!req.path.startsWith(PROXMOX_API_PATH)) return { status: 501, body: { data: null, message: 'Method not implemented' } };
    const parts = req.path.slice(PROXMOX_API_PATH.length).split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== 'nodes' || !parts[1]) return { status: 501, body: { data: null } };
    const node = parts[1];

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
          power.set(guest, 'running');
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
  const fake: FakeProxmox = Object.assign(server, { apiUrl: `${server.url}${PROXMOX_API_PATH}`, guests, failingRollbacks, rollbacks, power, taskPolls: 0 });
  // An accessor, not a copied value: tests change it between cases and tasks read it when they start.
  Object.defineProperty(fake, 'taskPolls', {
    get: () => state.taskPolls,
    set: (value: number) => {
      state.taskPolls = value;
    },
  });
  return fake;
}
