/*
 * Vendor adapters read their endpoints and credentials from the environment (secrets from files),
 * never from policy or workflow input, so no secret can reach a workflow history.
 *
 *   Tactical RMM (adapters.rmm: tactical-rmm)
 *     TACTICAL_RMM_URL                     API root, e.g. https://api.rmm.example.com
 *     TACTICAL_RMM_API_KEY_FILE            file holding the API key (or TACTICAL_RMM_API_KEY)
 *     TACTICAL_RMM_CLIENT_NAMES            optional JSON {"<client id>": "<client name in Tactical>"};
 *                                          default: the client's `name` from policy
 *     TACTICAL_RMM_WORKLOAD_COMMANDS_FILE  optional JSON {"<check>": {"shell", "cmd", "timeout"}}
 *   NinjaOne (adapters.rmm: ninjaone; URL and organization in the client's adapters.ninjaone)
 *     NINJAONE_CLIENT_ID                   API client id (client-credentials application)
 *     NINJAONE_CLIENT_SECRET_FILE          file holding its secret (or NINJAONE_CLIENT_SECRET)
 *   Datto RMM (adapters.rmm: datto-rmm; URL, site and components in adapters.datto-rmm)
 *     DATTO_RMM_API_KEY                    API key of the API user
 *     DATTO_RMM_API_SECRET_FILE            file holding the API secret key (or DATTO_RMM_API_SECRET)
 *   ConnectWise PSA (adapters.psa: connectwise)
 *     CONNECTWISE_URL                      e.g. https://na.myconnectwise.net/v4_6_release/apis/3.0
 *     CONNECTWISE_COMPANY                  login company id
 *     CONNECTWISE_PUBLIC_KEY
 *     CONNECTWISE_PRIVATE_KEY_FILE         file holding the private key (or CONNECTWISE_PRIVATE_KEY)
 *     CONNECTWISE_CLIENT_ID                the integration's clientId header
 *     CONNECTWISE_COMPANY_IDS              JSON {"<client id>": <ConnectWise company record id>}
 *     CONNECTWISE_BOARD                    optional service board name
 *     CONNECTWISE_CLOSED_STATUS            optional, default ">Closed"
 *   HaloPSA (adapters.psa: halopsa; URL, tenant and Halo client in adapters.halopsa)
 *     HALOPSA_CLIENT_ID                    API application client id (client credentials, scope all)
 *     HALOPSA_CLIENT_SECRET_FILE           file holding its secret (or HALOPSA_CLIENT_SECRET)
 *   Microsoft Graph (adapters.identity: microsoft-graph; tenant in adapters.microsoft-graph)
 *     GRAPH_CLIENT_ID                      the MSP's multi-tenant app registration (consented in each client tenant)
 *     GRAPH_CLIENT_SECRET_FILE             file holding its client secret (or GRAPH_CLIENT_SECRET)
 *   Proxmox VE (adapters.snapshot: proxmox)
 *     PROXMOX_URL                          e.g. https://pve1.example:8006/api2/json
 *     PROXMOX_TOKEN_FILE                   file holding USER@REALM!TOKENID=SECRET (or PROXMOX_TOKEN)
 *     PROXMOX_GUESTS_FILE                  JSON {"<client id>": {"<hostname>": {"node": "pve1", "vmid": 101}}}
 *     PROXMOX_DRILL_BRIDGE, _STORAGE       optional: restore-drill clones on this bridge (else links down) and storage
 */
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import type { ClientPolicy, PatchPolicy } from '../../config/policy-schema';
import { vendorUrlProblem, WORKLOAD_CHECKS } from '../../config/policy-schema';
import { formatProblems, problemsFromZod } from '../../config/problems';
import { failure } from '../../domain/failure-catalog';
import type { ClientAdapters, IdentityPort, PsaPort, RmmPort, SnapshotPort } from '../ports';
import { MicrosoftGraphIdentity } from './identity/microsoft-graph';
import { SimulatedIdentity } from './identity/simulated';
import type { Queryable } from '../store/pool';
import { ConnectWisePsa } from './psa/connectwise';
import { HaloPsa } from './psa/halopsa';
import { SimulatedPsa } from './psa/simulated';
import { SimulatedRmm } from './rmm/simulated';
import { DattoRmm } from './rmm/datto-rmm';
import { NinjaOneRmm } from './rmm/ninjaone';
import { TacticalRmm } from './rmm/tactical-rmm';
import { ProxmoxSnapshots } from './snapshot/proxmox';
import { SimulatedSnapshots } from './snapshot/simulated';

export type AdapterEnv = Readonly<Record<string, string | undefined>>;

export class AdapterConfigError extends Error {
  override readonly name = 'AdapterConfigError';
}

export interface BuildAdaptersOptions {
  db: Queryable;
  policy: PatchPolicy;
  env: AdapterEnv;
  /**
   * `fail` (default, production): a client whose vendor credentials are missing stops the worker at
   * start. `refuse-calls` (the dev stack, where the example policy names vendor clients nobody has
   * credentials for): that client's adapters refuse every call with the same message.
   */
  unconfiguredVendors?: 'fail' | 'refuse-calls';
  /** Told once per client whose adapters refuse calls. */
  warn?: (message: string) => void;
}

function required(env: AdapterEnv, name: string, why: string): string {
  const value = env[name]?.trim();
  if (!value) throw new AdapterConfigError(`${name} is not set; it is required ${why}`);
  return value;
}

function url(env: AdapterEnv, name: string, why: string): string {
  const value = required(env, name, why);
  const problem = vendorUrlProblem(value);
  if (problem) throw new AdapterConfigError(`${name}: ${problem}`);
  return value.replace(/\/+$/, '');
}

function readFileNamedBy(env: AdapterEnv, name: string): string {
  const path = env[name]!;
  try {
    const text = readFileSync(path, 'utf8').trim();
    if (!text) throw new Error('the file is empty');
    return text;
  } catch (error) {
    throw new AdapterConfigError(`${name}: cannot read "${path}": ${(error as Error).message}`);
  }
}

/** A secret from `<NAME>_FILE` (preferred: it stays out of `ps` and crash dumps) or `<NAME>`. */
function secret(env: AdapterEnv, name: string, why: string): string {
  if (env[`${name}_FILE`]?.trim()) return readFileNamedBy(env, `${name}_FILE`);
  const value = env[name]?.trim();
  if (!value) throw new AdapterConfigError(`${name}_FILE (or ${name}) is not set; it is required ${why}`);
  return value;
}

function parseJson<T>(name: string, text: string, schema: z.ZodType<T>, expected: string): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new AdapterConfigError(`${name} must be JSON like ${expected}: ${(error as Error).message}`);
  }
  const result = schema.safeParse(parsed);
  if (!result.success) throw new AdapterConfigError(`${name} is not as expected (${expected}):\n${formatProblems(problemsFromZod(result.error, parsed, name))}`);
  return result.data;
}

const workloadCommandsSchema = z.partialRecord(
  z.enum(WORKLOAD_CHECKS),
  z.object({ shell: z.enum(['powershell', 'cmd', 'shell']), cmd: z.string().min(1), timeout: z.number().int().min(1).max(3600).optional() }).strict(),
);
const guestsSchema = z.record(z.string(), z.record(z.string(), z.object({ node: z.string().min(1), vmid: z.number().int().min(100) }).strict()));

function tacticalRmm(env: AdapterEnv, client: ClientPolicy): RmmPort {
  const why = `for client "${client.id}" (adapters.rmm: tactical-rmm)`;
  const names = env.TACTICAL_RMM_CLIENT_NAMES
    ? parseJson('TACTICAL_RMM_CLIENT_NAMES', env.TACTICAL_RMM_CLIENT_NAMES, z.record(z.string(), z.string().min(1)), '{"acme-dental": "Acme Dental"}')
    : {};
  const workloadCommands = env.TACTICAL_RMM_WORKLOAD_COMMANDS_FILE
    ? parseJson('TACTICAL_RMM_WORKLOAD_COMMANDS_FILE', readFileNamedBy(env, 'TACTICAL_RMM_WORKLOAD_COMMANDS_FILE'), workloadCommandsSchema, '{"ehr-access": {"shell": "powershell", "cmd": "..."}}')
    : undefined;
  return new TacticalRmm({
    baseUrl: url(env, 'TACTICAL_RMM_URL', why),
    apiKey: secret(env, 'TACTICAL_RMM_API_KEY', why),
    clientId: client.id,
    tacticalClientName: names[client.id] ?? client.name,
    workloadCommands,
  });
}

/** The client's settings block for a vendor; the policy schema already requires it when the vendor is chosen. */
function settingsOf<K extends 'ninjaone' | 'datto-rmm' | 'halopsa' | 'microsoft-graph'>(client: ClientPolicy, vendor: K): NonNullable<ClientPolicy['adapters'][K]> {
  const settings = client.adapters[vendor];
  if (!settings) throw new AdapterConfigError(`client "${client.id}": adapters.${vendor} settings are missing (see patchctl.example.yaml)`);
  return settings as NonNullable<ClientPolicy['adapters'][K]>;
}

function ninjaOne(env: AdapterEnv, client: ClientPolicy): RmmPort {
  const why = `for client "${client.id}" (adapters.rmm: ninjaone)`;
  const settings = settingsOf(client, 'ninjaone');
  return new NinjaOneRmm({
    baseUrl: settings.url,
    tokenPath: settings.tokenPath,
    clientId: required(env, 'NINJAONE_CLIENT_ID', why),
    clientSecret: secret(env, 'NINJAONE_CLIENT_SECRET', why),
    patchctlClientId: client.id,
    organizationId: settings.organizationId,
  });
}

function dattoRmm(env: AdapterEnv, client: ClientPolicy): RmmPort {
  const why = `for client "${client.id}" (adapters.rmm: datto-rmm)`;
  const settings = settingsOf(client, 'datto-rmm');
  return new DattoRmm({
    baseUrl: settings.url,
    apiKey: required(env, 'DATTO_RMM_API_KEY', why),
    apiSecret: secret(env, 'DATTO_RMM_API_SECRET', why),
    patchctlClientId: client.id,
    siteUid: settings.siteUid,
    patchComponentUid: settings.patchComponentUid,
    uninstallComponentUid: settings.uninstallComponentUid,
    patchVariable: settings.patchVariable,
    policyPatchSeverity: settings.policyPatchSeverity,
  });
}

function connectWise(env: AdapterEnv, client: ClientPolicy, db: Queryable): PsaPort {
  const why = `for client "${client.id}" (adapters.psa: connectwise)`;
  const companyIds = parseJson(
    'CONNECTWISE_COMPANY_IDS',
    required(env, 'CONNECTWISE_COMPANY_IDS', why),
    z.record(z.string(), z.number().int().min(1)),
    '{"acme-dental": 250}',
  );
  const companyRecordId = companyIds[client.id];
  if (companyRecordId === undefined) throw new AdapterConfigError(`CONNECTWISE_COMPANY_IDS has no entry for client "${client.id}"`);
  return new ConnectWisePsa({
    baseUrl: url(env, 'CONNECTWISE_URL', why),
    company: required(env, 'CONNECTWISE_COMPANY', why),
    publicKey: required(env, 'CONNECTWISE_PUBLIC_KEY', why),
    privateKey: secret(env, 'CONNECTWISE_PRIVATE_KEY', why),
    integrationClientId: required(env, 'CONNECTWISE_CLIENT_ID', why),
    clientId: client.id,
    companyRecordId,
    board: env.CONNECTWISE_BOARD?.trim() || undefined,
    closedStatus: env.CONNECTWISE_CLOSED_STATUS?.trim() || undefined,
    db,
  });
}

function haloPsa(env: AdapterEnv, client: ClientPolicy, db: Queryable): PsaPort {
  const why = `for client "${client.id}" (adapters.psa: halopsa)`;
  const settings = settingsOf(client, 'halopsa');
  return new HaloPsa({
    baseUrl: settings.url,
    authUrl: settings.authUrl,
    tenant: settings.tenant,
    clientId: required(env, 'HALOPSA_CLIENT_ID', why),
    clientSecret: secret(env, 'HALOPSA_CLIENT_SECRET', why),
    patchctlClientId: client.id,
    haloClientId: settings.clientId,
    siteId: settings.siteId,
    ticketTypeId: settings.ticketTypeId,
    priorityIds: settings.priorityIds,
    closedStatusId: settings.closedStatusId,
    db,
  });
}

function microsoftGraph(env: AdapterEnv, client: ClientPolicy): IdentityPort {
  const why = `for client "${client.id}" (adapters.identity: microsoft-graph)`;
  const settings = settingsOf(client, 'microsoft-graph');
  return new MicrosoftGraphIdentity({
    patchctlClientId: client.id,
    tenantId: settings.tenantId,
    authorityHost: settings.authorityHost,
    graphUrl: settings.graphUrl,
    clientId: required(env, 'GRAPH_CLIENT_ID', why),
    clientSecret: secret(env, 'GRAPH_CLIENT_SECRET', why),
  });
}

function proxmox(env: AdapterEnv, client: ClientPolicy): SnapshotPort {
  const why = `for client "${client.id}" (adapters.snapshot: proxmox)`;
  required(env, 'PROXMOX_GUESTS_FILE', why);
  const guests = parseJson('PROXMOX_GUESTS_FILE', readFileNamedBy(env, 'PROXMOX_GUESTS_FILE'), guestsSchema, '{"acme-dental": {"dc01": {"node": "pve1", "vmid": 101}}}');
  const apiToken = secret(env, 'PROXMOX_TOKEN', why);
  if (!/^[^@\s]+@[^!\s]+![^=\s]+=\S+$/.test(apiToken)) {
    throw new AdapterConfigError('PROXMOX_TOKEN_FILE must hold a full API token like USER@REALM!TOKENID=SECRET');
  }
  const bridge = env.PROXMOX_DRILL_BRIDGE;
  if (bridge !== undefined && !/^[A-Za-z][A-Za-z0-9_.-]{0,14}$/.test(bridge)) throw new AdapterConfigError(`PROXMOX_DRILL_BRIDGE "${bridge}" is not a bridge name; expected one like vmbr99`);
  const storage = env.PROXMOX_DRILL_STORAGE;
  const drill = { ...(bridge ? { isolatedBridge: bridge } : {}), ...(storage ? { storage } : {}) };
  return new ProxmoxSnapshots({ baseUrl: url(env, 'PROXMOX_URL', why), apiToken, guests: guests[client.id] ?? {}, drill });
}

function buildFor(options: BuildAdaptersOptions, client: ClientPolicy): ClientAdapters {
  const { db, env } = options;
  const base = { db, clientId: client.id, simulation: client.simulation };
  let rmm: RmmPort;
  switch (client.adapters.rmm) {
    case 'simulated':
      rmm = new SimulatedRmm(base);
      break;
    case 'tactical-rmm':
      rmm = tacticalRmm(env, client);
      break;
    case 'ninjaone':
      rmm = ninjaOne(env, client);
      break;
    case 'datto-rmm':
      rmm = dattoRmm(env, client);
      break;
  }
  let psa: PsaPort;
  switch (client.adapters.psa) {
    case 'simulated':
      psa = new SimulatedPsa(base);
      break;
    case 'connectwise':
      psa = connectWise(env, client, db);
      break;
    case 'halopsa':
      psa = haloPsa(env, client, db);
      break;
  }
  const snapshot: SnapshotPort = client.adapters.snapshot === 'proxmox' ? proxmox(env, client) : new SimulatedSnapshots(base);
  const identity =
    client.adapters.identity === 'microsoft-graph' ? microsoftGraph(env, client) : client.adapters.identity === 'simulated' ? new SimulatedIdentity(base) : undefined;
  return { rmm, psa, snapshot, ...(identity ? { identity } : {}) };
}

/**
 * Builds every client's adapters up front, so a missing credential stops the worker at start-up
 * rather than failing the first activity of a cycle hours later. Returns a lookup by client id.
 */
/** Adapters whose every method refuses with the configuration problem (non-retryable). */
function refusingAdapters(message: string): ClientAdapters {
  const refuse = (): never => {
    throw failure('VendorRejected', message);
  };
  const port = new Proxy({}, { get: () => async () => refuse() });
  return { rmm: port as RmmPort, psa: port as PsaPort, snapshot: port as SnapshotPort, identity: port as IdentityPort };
}

/** Variables that name a file holding a secret (as opposed to a list of guests or commands). */
const SECRET_FILE_VARIABLE = /_(SECRET|KEY|KEYS|TOKEN|PASSWORD)_FILE$/;

/**
 * Secret files that other users of the machine can read (any group or other permission bit): the
 * key is as good as leaked to them. Reported, not refused, so that an operator sees it at start-up
 * and tightens it with `chmod 600`.
 */
export function looseSecretFiles(env: AdapterEnv): { variable: string; path: string; mode: string }[] {
  const loose: { variable: string; path: string; mode: string }[] = [];
  for (const [variable, path] of Object.entries(env)) {
    if (!SECRET_FILE_VARIABLE.test(variable) || !path?.trim()) continue;
    try {
      const mode = statSync(path).mode & 0o777;
      if (mode & 0o077) loose.push({ variable, path, mode: mode.toString(8).padStart(4, '0') });
    } catch {
      // Unreadable or missing: the adapter that needs it says so when it is built.
    }
  }
  return loose;
}

export function buildClientAdapters(options: BuildAdaptersOptions): (clientId: string) => ClientAdapters {
  for (const file of looseSecretFiles(options.env)) {
    options.warn?.(`${file.variable}: ${file.path} is readable by other users (mode ${file.mode}); run \`chmod 600 ${file.path}\``);
  }
  const byClient = new Map<string, ClientAdapters>();
  for (const client of options.policy.clients) {
    try {
      byClient.set(client.id, buildFor(options, client));
    } catch (error) {
      if (options.unconfiguredVendors !== 'refuse-calls' || !(error instanceof AdapterConfigError)) throw error;
      const message = `client "${client.id}": its vendor adapters are not configured (${error.message})`;
      options.warn?.(message);
      byClient.set(client.id, refusingAdapters(message));
    }
  }
  return (clientId) => {
    const adapters = byClient.get(clientId);
    if (!adapters) throw new AdapterConfigError(`no client "${clientId}" in policy; known: ${[...byClient.keys()].join(', ')}`);
    return adapters;
  };
}
