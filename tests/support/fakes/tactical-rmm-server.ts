import { type FakeRequest, type FakeResponse, type FakeServer, startFakeServer } from './fake-http';

// Tactical RMM as its API behaves: X-API-KEY auth, trailing slashes required, fire-and-forget
// install/scan (no job id), a bare JSON string as the body of a 400. As documented, an install
// installs every approved update on the agent, and an uninstall leaves the update's approval as it was.

export interface FakeAgent {
  agent_id: string;
  hostname: string;
  client_name: string;
  site_name: string;
  plat: 'windows' | 'linux' | 'darwin';
  status: 'online' | 'offline' | 'overdue';
  monitoring_type: 'server' | 'workstation';
  needs_reboot: boolean;
  has_patches_pending: boolean;
}

export interface FakeWinUpdate {
  id: number;
  kb: string;
  guid: string;
  title: string;
  severity: string;
  installed: boolean;
  action: 'nothing' | 'approve' | 'ignore' | 'inherit';
  result: 'n/a' | 'success' | 'failed';
  date_installed: string | null;
}

/** One row of an agent's software audit, as the agent's `softwarelist` reports it. */
export interface FakeInstalledSoftware {
  name: string;
  version: string;
  publisher: string;
  install_date: string;
  size: string;
  source: string;
  location: string;
  uninstall: string;
}

export interface FakeTacticalRmm extends FakeServer {
  agents: FakeAgent[];
  /** agent_id → installed software; an agent without an entry has never sent its list (Tactical answers []). */
  software: Map<string, FakeInstalledSoftware[]>;
  updates: Map<string, FakeWinUpdate[]>;
  /** KBs whose install the agent reports as failed. */
  failingKbs: Set<string>;
  /** What `cmd` returns for a workload-check command (matched by substring), default "OK". */
  commandOutput: Map<string, string>;
  /** KBs whose `wusa /uninstall` the agent runs without removing them (still installed after the scan). */
  failingUninstalls: Set<string>;
  /**
   * The agent's disk went back to an older state (a hypervisor snapshot restore): these KBs are gone,
   * but Tactical's update list keeps saying installed until the agent's next scan.
   */
  revertAtNextScan(agentId: string, kbs: readonly string[]): void;
}

export async function startFakeTacticalRmm(apiKey: string): Promise<FakeTacticalRmm> {
  const agents: FakeAgent[] = [];
  const updates = new Map<string, FakeWinUpdate[]>();
  const failingKbs = new Set<string>();
  const commandOutput = new Map<string, string>();
  const failingUninstalls = new Set<string>();
  const software = new Map<string, FakeInstalledSoftware[]>();
  // The agent installs in the background: it finishes after the server has been asked once more.
  const installing = new Map<string, number>();
  const uninstallQueued = new Map<string, Set<string>>();

  const finishInstall = (agentId: string) => {
    for (const update of updates.get(agentId) ?? []) {
      if (update.action !== 'approve' || update.installed || update.result !== 'n/a') continue;
      if (failingKbs.has(update.kb)) {
        update.result = 'failed';
      } else {
        update.installed = true;
        update.result = 'success';
        update.date_installed = '2026-11-29T03:12:00Z';
      }
    }
  };

  const handle = (req: FakeRequest): FakeResponse => {
    if (req.headers['x-api-key'] !== apiKey) return { status: 401, body: { detail: 'Invalid token.' } };
    if (!req.path.endsWith('/')) return { status: 404, body: { detail: 'Not found.' } };
    const parts = req.path.split('/').filter(Boolean);
    const agent = (id: string | undefined) => agents.find((a) => a.agent_id === id);

    if (req.method === 'GET' && parts.length === 1 && parts[0] === 'agents') {
      if (req.query.get('detail') !== 'true') return { status: 200, body: agents.map(({ agent_id, hostname }) => ({ agent_id, hostname })) };
      return { status: 200, body: agents };
    }
    if (parts[0] === 'software' && parts.length === 2 && req.method === 'GET') {
      const found = agent(parts[1]);
      if (!found) return { status: 404, body: { detail: 'Not found.' } };
      const list = software.get(found.agent_id);
      // The InstalledSoftware row serialized whole (id, agent pk, software), or [] before the first audit.
      return { status: 200, body: list ? { id: agents.indexOf(found) + 1, agent: agents.indexOf(found) + 1, software: list } : [] };
    }
    if (parts[0] === 'winupdate' && parts.length === 2 && req.method === 'GET') {
      const found = agent(parts[1]);
      if (!found) return { status: 404, body: { detail: 'Not found.' } };
      const left = installing.get(found.agent_id);
      if (left !== undefined) {
        if (left <= 0) {
          finishInstall(found.agent_id);
          installing.delete(found.agent_id);
        } else {
          installing.set(found.agent_id, left - 1);
        }
      }
      return { status: 200, body: updates.get(found.agent_id) ?? [] };
    }
    if (parts[0] === 'winupdate' && parts.length === 2 && req.method === 'PUT') {
      const update = [...updates.values()].flat().find((u) => String(u.id) === parts[1]);
      if (!update) return { status: 404, body: { detail: 'Not found.' } };
      const body = JSON.parse(req.body) as { action?: FakeWinUpdate['action'] };
      if (!body.action || !['approve', 'ignore', 'nothing', 'inherit'].includes(body.action)) return { status: 400, body: 'Invalid action' };
      update.action = body.action;
      return { status: 200, body: 'The action was updated' };
    }
    if (parts[0] === 'winupdate' && parts.length === 3 && req.method === 'POST') {
      const found = agent(parts[1]);
      if (!found) return { status: 404, body: { detail: 'Not found.' } };
      if (parts[2] === 'scan') {
        for (const kb of uninstallQueued.get(found.agent_id) ?? []) {
          if (failingUninstalls.has(kb)) continue;
          const update = updates.get(found.agent_id)?.find((u) => u.kb === kb);
          // The KB is gone; its approval stays as it was (Tactical's schedule would install it again).
          if (update) Object.assign(update, { installed: false, result: 'n/a', date_installed: null });
        }
        uninstallQueued.delete(found.agent_id);
        return { status: 200, body: `A Windows update scan will now run on ${found.hostname}` };
      }
      if (parts[2] === 'install') {
        if (found.status !== 'online') return { status: 400, body: 'Unable to contact the agent' };
        if (installing.has(found.agent_id)) return { status: 400, body: `Updates are already being installed on ${found.hostname}` };
        installing.set(found.agent_id, 1);
        return { status: 200, body: `Approved patches will now be installed on ${found.hostname}` };
      }
    }
    if (parts[0] === 'agents' && parts.length === 3 && parts[2] === 'cmd' && req.method === 'POST') {
      const found = agent(parts[1]);
      if (!found) return { status: 404, body: { detail: 'Not found.' } };
      if (found.status !== 'online') return { status: 400, body: 'Unable to contact the agent' };
      const body = JSON.parse(req.body) as { shell?: string; cmd?: string; timeout?: number };
      if (!body.shell || !body.cmd || typeof body.timeout !== 'number') return { status: 400, body: 'shell, cmd and timeout are required' };
      const wusa = /wusa\.exe \/uninstall \/kb:(\d+)/.exec(body.cmd);
      if (wusa) {
        const set = uninstallQueued.get(found.agent_id) ?? new Set<string>();
        set.add(`KB${wusa[1]}`);
        uninstallQueued.set(found.agent_id, set);
        return { status: 200, body: '' };
      }
      for (const [match, output] of commandOutput) if (body.cmd.includes(match)) return { status: 200, body: output };
      return { status: 200, body: 'OK\r\n' };
    }
    return { status: 404, body: { detail: 'Not found.' } };
  };

  const server = await startFakeServer(handle);
  const revertAtNextScan = (agentId: string, kbs: readonly string[]) => {
    const set = uninstallQueued.get(agentId) ?? new Set<string>();
    for (const kb of kbs) set.add(kb);
    uninstallQueued.set(agentId, set);
  };
  return Object.assign(server, { agents, software, updates, failingKbs, commandOutput, failingUninstalls, revertAtNextScan });
}
