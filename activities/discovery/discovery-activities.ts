import { resolve } from 'node:path';
import { failure } from '../../domain/failure-catalog';
import { discoveryTicketKey, discoveryTicketText, TICKETED_KINDS, type DiscoveryCounts } from '../../domain/discovery/discovery-events';
import type { ActivityDeps } from '../deps';
import { whileHeartbeating } from '../heartbeat-ticker';
import { discoveryRun, discoveryRunEvents, reconcileDiscovery, recordDiscoveryTicket, type SeenDevice } from '../store/discovery-store';
import { replaceSoftwareList } from '../store/software-store';
import { readScanFiles } from './scan-csv';
import { readSoftwareListFile } from './software-list-file';

// Discovery of one client: the RMM's device and software lists and the MSP's other sources (scan
// CSVs) reconcile the inventory; new and unmanaged devices then get one PSA ticket per run.

/** Without a discovery block (a manual `inventory discover`), devices unseen for a week are silent. */
const DEFAULT_SILENT_AFTER_MS = 7 * 86_400_000;

export interface DiscoveryInput {
  clientId: string;
  /** The run's idempotency key: the workflow id (a Schedule appends the action time to it). */
  runKey: string;
  at: string;
}

export interface DiscoveryRunResult {
  clientId: string;
  runKey: string;
  at: string;
  counts: DiscoveryCounts;
  /** The run had been reconciled by an earlier attempt: its first result is returned. */
  replayed: boolean;
  needsTicket: boolean;
}

function clientPolicy(deps: ActivityDeps, clientId: string) {
  const client = deps.policy.clients.find((c) => c.id === clientId);
  if (!client) throw failure('NotFound', `no client "${clientId}" in the policy`);
  return client;
}

export async function discoverClientInventory(deps: ActivityDeps, input: DiscoveryInput): Promise<DiscoveryRunResult> {
  const client = clientPolicy(deps, input.clientId);
  const rmm = deps.adaptersFor(input.clientId).rmm;
  // Scan files first: a malformed one refuses the run before any vendor is asked anything.
  const scanned = readScanFiles((client.discovery?.unmanagedSources ?? []).map((path) => resolve(path)));
  await loadMspSoftwareList(deps);
  const [devices, software] = await whileHeartbeating(() => Promise.all([rmm.listDevices(input.clientId), rmm.listSoftware?.(input.clientId)]));
  const seen: SeenDevice[] = [...devices.map((d) => ({ hostname: d.hostname.toLowerCase(), os: d.os, role: d.role, source: 'rmm', rmm: true })), ...scanned];
  const result = await reconcileDiscovery(deps.db, {
    clientId: input.clientId,
    runKey: input.runKey,
    at: new Date(input.at),
    silentAfterMs: client.discovery?.silentAfter ?? DEFAULT_SILENT_AFTER_MS,
    seen,
    software: (software ?? []).flatMap((s) => s.applications.map((name) => ({ hostname: s.hostname, name }))),
    softwareHosts: (software ?? []).map((s) => s.hostname),
  });
  return { clientId: input.clientId, runKey: input.runKey, at: input.at, counts: result.counts, replayed: result.replayed, needsTicket: result.counts.new + result.counts.unmanaged > 0 };
}

/** The MSP's list, re-read at each run so that an edited file is what the next report classifies against. */
export async function loadMspSoftwareList(deps: ActivityDeps): Promise<number | undefined> {
  const file = deps.policy.msp.softwareList?.file;
  if (!file) return undefined;
  const read = readSoftwareListFile(resolve(file));
  if (!read.ok) throw failure('InvalidInput', `msp.softwareList.file ${file}: ${read.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  await replaceSoftwareList(deps.db, read.entries);
  return read.entries.length;
}

/** One ticket per run for its new and unmanaged devices; a retry or a second call finds the first. */
export async function openDiscoveryTicket(deps: ActivityDeps, input: { clientId: string; runKey: string }): Promise<{ ticketId: string | null }> {
  const run = await discoveryRun(deps.db, input.runKey);
  if (!run) throw failure('NotFound', `no discovery run "${input.runKey}"`);
  if (run.ticketId) return { ticketId: run.ticketId };
  const { events, total } = await discoveryRunEvents(deps.db, input.runKey, TICKETED_KINDS, 200);
  if (total === 0) return { ticketId: null };
  const text = discoveryTicketText(input.clientId, run.at.toISOString(), events, total);
  const { ticketId } = await deps.adaptersFor(input.clientId).psa.openTicket({
    key: discoveryTicketKey(input.clientId, input.runKey),
    clientId: input.clientId,
    summary: text.summary,
    details: text.details,
    priority: 'medium',
  });
  await recordDiscoveryTicket(deps.db, input.runKey, ticketId);
  return { ticketId };
}
