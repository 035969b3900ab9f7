import { z } from 'zod';
import { boundedDuration } from './duration';
import { ENFORCED_REBOOT_MODES, IMPLEMENTED_ADAPTER_KINDS } from './worker-capabilities';

export const ASSET_CLASSES = ['core-server', 'workstation', 'do-not-disrupt'] as const;
export const SEVERITIES = ['critical', 'high', 'routine'] as const;
export const RINGS = ['canary', 'pilot', 'production'] as const;
export const OPERATING_SYSTEMS = ['windows', 'macos', 'linux'] as const;
export const ROLES = ['server', 'workstation', 'kiosk'] as const;
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const WORKLOAD_CHECKS = ['email-delivery', 'ehr-access', 'file-access'] as const;
/** How much downtime a client's business tolerates (the playbook's "high uptime needs"). */
export const UPTIME_NEEDS = ['standard', 'high'] as const;
export type UptimeNeed = (typeof UPTIME_NEEDS)[number];

export type AssetClass = (typeof ASSET_CLASSES)[number];
export type Severity = (typeof SEVERITIES)[number];
export type RingName = (typeof RINGS)[number];
export type OperatingSystem = (typeof OPERATING_SYSTEMS)[number];
export type AssetRole = (typeof ROLES)[number];
export type Weekday = (typeof WEEKDAYS)[number];
export type WorkloadCheck = (typeof WORKLOAD_CHECKS)[number];

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24-hour time like 02:00');
const identity = z.email({ message: 'must be an e-mail address naming a person' });

// An Ed25519 SubjectPublicKeyInfo is always 44 bytes: this 12-byte DER header, then the 32-byte key.
const ED25519_SPKI_HEADER = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/**
 * Checked structurally rather than with node:crypto: workflows import this module, and the workflow
 * sandbox has no Node built-ins (the check itself only ever runs where the policy is loaded).
 */
function isEd25519PublicKey(pem: string): boolean {
  const armored = /^-----BEGIN PUBLIC KEY-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n?-----END PUBLIC KEY-----\s*$/.exec(pem.trim());
  const body = armored?.[1]?.replace(/\r?\n/g, '');
  if (!body || !/^[A-Za-z0-9+/]{59}=$/.test(body)) return false;
  const bytes = Array.from(atob(body), (c) => c.charCodeAt(0));
  return bytes.length === 44 && ED25519_SPKI_HEADER.every((byte, i) => bytes[i] === byte);
}

/** Parsed here, not at the first signature check: a garbled key would otherwise refuse every decision. */
const ed25519PublicKey = z
  .string()
  .refine(isEd25519PublicKey, 'must be an Ed25519 public key in PEM form (see `patchctl keys generate`)');

/**
 * Bounds of every duration and threshold. The minimum keeps a setting from switching safety off
 * (a 0s poll spins, a 0s decision timeout skips the person); the maximum keeps a typo from
 * parking a rollout or an exception for years.
 */
export const POLICY_BOUNDS = {
  soak: ['1s', '30d'],
  deploymentWindow: ['1h', '365d'],
  maintenanceWindow: ['15m', '24h'],
  jobPollInterval: ['1s', '1h'],
  gateDecisionTimeout: ['1m', '7d'],
  approvalReminderAfter: ['30s', '7d'],
  escalateBeforeDeadline: ['1m', '30d'],
  exceptionMaxDuration: ['1d', '365d'],
  exceptionReminderBefore: ['1h', '90d'],
  exceptionDecisionTimeout: ['1h', '90d'],
  exceptionReviewInterval: ['1d', '365d'],
  triageSla: ['15m', '7d'],
  triageEscalateAfter: ['1m', '24h'],
  workloadCheckTimeout: ['1s', '10m'],
  /** Above half, a gate lets most of a ring fail before it stops anything. */
  failureThreshold: [0, 0.5],
  canarySize: [1, 1000],
  /** Assets in flight per ring: a count, or a share of the ring in percent. */
  maxConcurrency: [1, 100_000],
  maxConcurrencyShare: [0.1, 100],
  /** Failures a ring tolerates before its breaker trips; above half of a ring there is nothing left to protect. */
  maxErrors: [0, 100_000],
  maxErrorsShare: [0, 50],
  /** After this long a job still not finished counts as failed for the gate. */
  jobDeadline: ['10m', '7d'],
  /** A batch starts only when at least this much of the maintenance window is left. */
  batchLeadTime: ['1m', '12h'],
  /** Consecutive vendor outages (a batch call that exhausted its retries) before the ring halts for a decision. */
  maxVendorFailures: [1, 20],
} as const;
const within = (name: keyof typeof POLICY_BOUNDS) => boundedDuration(...(POLICY_BOUNDS[name] as readonly [string, string]));

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const rebootPolicySchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('scheduled'), day: z.enum(WEEKDAYS), at: clockTime }).strict(),
  z.object({ mode: z.literal('user-prompted') }).strict(),
  z.object({ mode: z.literal('manual-approval') }).strict(),
]);
export type RebootPolicy = z.infer<typeof rebootPolicySchema>;

export const slaRuleSchema = z
  .object({ deploymentWindow: within('deploymentWindow'), reboot: rebootPolicySchema })
  .strict();
export type SlaRule = z.infer<typeof slaRuleSchema>;

const slaRowSchema = z.object({ critical: slaRuleSchema, high: slaRuleSchema, routine: slaRuleSchema }).strict();
export const slaTableSchema = z
  .object({ 'core-server': slaRowSchema, workstation: slaRowSchema, 'do-not-disrupt': slaRowSchema })
  .strict();
export type SlaTable = z.infer<typeof slaTableSchema>;

/**
 * Who decides a breached gate of this ring (rollback, retry-failed, override). Optional: without it
 * the canary and pilot gates go to the pilot approvers and the production gate to the production
 * approvers (domain/cycle-deciders.ts).
 */
/** A rate limit as a count of assets (`50`) or a share of the ring (`"10%"`). */
export type RateLimit = number | `${number}%`;

function rateLimitSchema(count: readonly [number, number], share: readonly [number, number], what: string) {
  const expected = `must be ${what} between ${count[0]} and ${count[1]}, or a share of the ring like "10%" between ${share[0]}% and ${share[1]}%`;
  return z.union([z.number(), z.string()], { error: expected }).superRefine((value, ctx) => {
    if (typeof value === 'number') {
      if (!Number.isInteger(value) || value < count[0] || value > count[1]) ctx.addIssue({ code: 'custom', message: expected });
      return;
    }
    const match = /^(\d+(?:\.\d+)?)%$/.exec(value.trim());
    const percent = match ? Number(match[1]) : Number.NaN;
    if (!(percent >= share[0] && percent <= share[1])) ctx.addIssue({ code: 'custom', message: expected });
  }).transform((value) => (typeof value === 'number' ? value : (value.trim() as `${number}%`)) as RateLimit);
}

const gateSchema = z
  .object({ deciders: z.array(identity).min(1, 'must name at least one person who decides this gate') })
  .strict();

/** A failure rate a gate or a client agreement may allow: a share within the bounds. */
const failureShare = z
    .number()
    .min(POLICY_BOUNDS.failureThreshold[0], `must be a share between ${POLICY_BOUNDS.failureThreshold[0]} and ${POLICY_BOUNDS.failureThreshold[1]}`)
    .max(POLICY_BOUNDS.failureThreshold[1], `must be a share between ${POLICY_BOUNDS.failureThreshold[0]} and ${POLICY_BOUNDS.failureThreshold[1]}`);

const ringBase = {
  soak: within('soak'),
  failureThreshold: failureShare,
  gate: gateSchema.optional(),
  /** Assets in flight at once (default 10 % of the ring, at least one batch): batches overlap up to it. */
  maxConcurrency: rateLimitSchema(POLICY_BOUNDS.maxConcurrency, POLICY_BOUNDS.maxConcurrencyShare, 'a whole number of assets').optional(),
  /** Failures past which no new deployment is submitted (default: what the failure threshold allows). */
  maxErrors: rateLimitSchema(POLICY_BOUNDS.maxErrors, POLICY_BOUNDS.maxErrorsShare, 'a whole number of failures').optional(),
};
export interface RingPolicyBase {
  soak: number;
  failureThreshold: number;
  maxConcurrency?: RateLimit;
  maxErrors?: RateLimit;
}

const promotionSchema = z
  .object({
    requiresApproval: z.boolean(),
    approvers: z.array(identity).default([]),
  })
  .strict()
  .superRefine((promotion, ctx) => {
    if (promotion.requiresApproval && promotion.approvers.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['approvers'], message: 'must name at least one approver when requiresApproval is true' });
    }
  });
export type PromotionPolicy = z.infer<typeof promotionSchema>;

export const ringsSchema = z
  .object({
    canary: z.object({ ...ringBase, size: z
          .number()
          .int('must be a whole number of assets')
          .min(POLICY_BOUNDS.canarySize[0], 'must be at least 1 asset')
          .max(POLICY_BOUNDS.canarySize[1], `must be between ${POLICY_BOUNDS.canarySize[0]} and ${POLICY_BOUNDS.canarySize[1]} assets`),
      }).strict(),
    pilot: z
      .object({
        ...ringBase,
        share: z.number().refine((v) => v >= 0.1 && v <= 0.2, { message: 'must be between 0.10 and 0.20' }),
        promotion: promotionSchema,
      })
      .strict(),
    production: z.object({ ...ringBase, promotion: promotionSchema }).strict(),
  })
  .strict();
export type RingsPolicy = z.infer<typeof ringsSchema>;

export const maintenanceWindowSchema = z
  .object({
    days: z.array(z.enum(WEEKDAYS)).min(1, 'must list at least one day'),
    start: clockTime,
    duration: within('maintenanceWindow'),
  })
  .strict();
export type MaintenanceWindow = z.infer<typeof maintenanceWindowSchema>;

export const ADAPTER_KINDS = {
  rmm: ['simulated', 'tactical-rmm', 'ninjaone', 'datto-rmm'],
  psa: ['simulated', 'connectwise', 'halopsa'],
  snapshot: ['simulated', 'proxmox'],
  identity: ['none', 'simulated', 'microsoft-graph'],
} as const;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname) || hostname.endsWith('.localhost');
}

/**
 * Why a vendor URL is unfit, or undefined when it is fine. A vendor key sent over http:// can be read
 * by anyone on the path, so https:// is required; loopback is the exception (local fakes, a tunnel).
 */
export function vendorUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be an https:// URL like https://eu.ninjarmm.com, got "${value}"`;
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol !== 'http:') return `must be an https:// URL like https://eu.ninjarmm.com, got "${value}"`;
  if (isLoopback(url.hostname)) return undefined;
  return `${value} must use https:// (http:// is allowed only for loopback, because credentials would cross the network in clear text); write https://${value.slice('http://'.length)}`;
}

const vendorUrl = z.string().superRefine((value, ctx) => {
  const problem = vendorUrlProblem(value);
  // The problem list appends ", got <value>" itself.
  if (problem) ctx.addIssue({ code: 'custom', message: problem.startsWith(`${value} `) ? problem.slice(value.length + 1) : problem });
});

/** Non-secret, per-client vendor settings; credentials stay in the environment (build-adapters.ts). */
export const adapterSettingsSchemas = {
  ninjaone: z
    .object({
      /** Regional instance: https://{app|eu|oc|ca|us2}.ninjarmm.com */
      url: vendorUrl,
      /** The client's organization in NinjaOne. */
      organizationId: z.number().int().min(1),
      /** Open-source clients disagree (`/ws/oauth/token` vs `/oauth/token`); the documented one is the default. */
      tokenPath: z.string().regex(/^\//, 'must be a path starting with /').default('/ws/oauth/token'),
    })
    .strict(),
  'datto-rmm': z
    .object({
      /** Platform API root, e.g. https://pinotage-api.centrastage.net */
      url: vendorUrl,
      /** The client's site in Datto RMM. */
      siteUid: z.string().min(1),
      /** The patch component run as a quick job (e.g. a "Windows Update - install KB" component). */
      patchComponentUid: z.string().min(1),
      /** Component that removes a KB, for rollback; rollback by uninstall is refused without it. */
      uninstallComponentUid: z.string().min(1).optional(),
      /** Component variable that receives the KB list. */
      patchVariable: z.string().min(1).default('KBList'),
      /**
       * Datto's API lists no patches per device, only each device's patch status; a device with
       * approved pending patches is reported as one "approved by policy" patch of this severity.
       */
      policyPatchSeverity: z.enum(SEVERITIES).default('high'),
    })
    .strict(),
  halopsa: z
    .object({
      /** Resource server, e.g. https://msp.halopsa.com */
      url: vendorUrl,
      /** Authorisation server; by default the one the instance names at /api/authinfo. */
      authUrl: vendorUrl.optional(),
      /** Hosted (cloud) Halo instances name their tenant at the token endpoint. */
      tenant: z.string().min(1).optional(),
      /** The client's record id in Halo. */
      clientId: z.number().int().min(1),
      siteId: z.number().int().min(1).optional(),
      ticketTypeId: z.number().int().min(1).optional(),
      /** Halo priority ids for our four levels (Halo's defaults are 1 = critical … 4 = low). */
      priorityIds: z.object({ low: z.number().int(), medium: z.number().int(), high: z.number().int(), critical: z.number().int() }).strict().optional(),
      closedStatusId: z.number().int().min(1).default(9),
    })
    .strict(),
  'microsoft-graph': z
    .object({
      /** The client's Entra tenant (GUID or its .onmicrosoft.com domain). */
      tenantId: z.string().regex(/^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9-]+(\.[a-z0-9-]+)+)$/i, 'must be a tenant GUID or domain'),
      /** Sovereign clouds differ; defaults are the global cloud. */
      authorityHost: vendorUrl.default('https://login.microsoftonline.com'),
      graphUrl: vendorUrl.default('https://graph.microsoft.com'),
    })
    .strict(),
} as const;
export type NinjaOneSettings = z.infer<(typeof adapterSettingsSchemas)['ninjaone']>;
export type DattoRmmSettings = z.infer<(typeof adapterSettingsSchemas)['datto-rmm']>;
export type HaloPsaSettings = z.infer<(typeof adapterSettingsSchemas)['halopsa']>;
export type MicrosoftGraphSettings = z.infer<(typeof adapterSettingsSchemas)['microsoft-graph']>;

const adaptersSchema = z
  .object({
    rmm: z.enum(ADAPTER_KINDS.rmm).default('simulated'),
    psa: z.enum(ADAPTER_KINDS.psa).default('simulated'),
    snapshot: z.enum(ADAPTER_KINDS.snapshot).default('simulated'),
    identity: z.enum(ADAPTER_KINDS.identity).default('none'),
    ninjaone: adapterSettingsSchemas.ninjaone.optional(),
    'datto-rmm': adapterSettingsSchemas['datto-rmm'].optional(),
    halopsa: adapterSettingsSchemas.halopsa.optional(),
    'microsoft-graph': adapterSettingsSchemas['microsoft-graph'].optional(),
  })
  .strict()
  .superRefine((adapters, ctx) => {
    // A chosen vendor needs its settings block; a block for a vendor not chosen is a typo waiting to bite.
    const chosen = new Set<string>([adapters.rmm, adapters.psa, adapters.snapshot, adapters.identity]);
    for (const vendor of Object.keys(adapterSettingsSchemas) as (keyof typeof adapterSettingsSchemas)[]) {
      if (chosen.has(vendor) && !adapters[vendor]) {
        ctx.addIssue({ code: 'custom', path: [vendor], message: `settings for ${vendor} are required when it is selected (see patchctl.example.yaml)` });
      }
      if (!chosen.has(vendor) && adapters[vendor]) {
        ctx.addIssue({ code: 'custom', path: [vendor], message: `settings for ${vendor}, but no port of this client uses ${vendor}` });
      }
    }
  });
export type AdaptersPolicy = z.infer<typeof adaptersSchema>;

export const simulationSchema = z
  .object({
    seed: z.number().int().default(1),
    failureRate: z.number().min(0).max(1).default(0),
    failingHosts: z.array(z.string()).default([]),
    failingRings: z.array(z.enum(RINGS)).default([]),
    latencyMs: z.number().int().min(0).max(60_000).default(0),
  })
  .strict();
export type SimulationPolicy = z.infer<typeof simulationSchema>;

/** Where a secret of a check lives: the name of an environment variable, or of a 0600 file. */
const checkSecretSchema = z
  .object({ env: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be an environment variable name like CHECK_MAIL_PASSWORD').optional(), file: z.string().min(1).optional() })
  .strict()
  .refine((s) => Boolean(s.env) !== Boolean(s.file), 'must name exactly one of env or file');
export type CheckSecret = z.infer<typeof checkSecretSchema>;

const checkBase = {
  /** Named in evidence and in the failure detail of every asset it fails. */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'must be lower-case letters, digits and dashes'),
  /** The assets whose verification depends on it; by default every asset of the batch. */
  hosts: z.array(z.string().min(1)).optional(),
  timeout: within('workloadCheckTimeout').prefault('30s'),
};
const hostName = z.string().regex(/^[A-Za-z0-9.-]+$|^\[[0-9a-fA-F:]+\]$/, 'must be a host name or IP address');
const port = z.number().int().min(1).max(65_535);

/**
 * A workload check the worker runs itself against the client's services after an asset is
 * verified: the e-mail round trip, the EHR's web front, a port, a file share.
 */
export const serviceCheckSchema = z.discriminatedUnion('kind', [
  z
    .object({
      ...checkBase,
      kind: z.literal('smtp-imap'),
      smtp: z.object({ host: hostName, port, secure: z.boolean().default(false), user: z.string().optional(), password: checkSecretSchema.optional() }).strict(),
      imap: z.object({ host: hostName, port, secure: z.boolean().default(true), user: z.string().min(1), password: checkSecretSchema, mailbox: z.string().min(1).default('INBOX') }).strict(),
      from: identity,
      to: identity,
      /** Extra CA (PEM file) trusted for the SMTP and IMAP TLS. */
      caFile: z.string().min(1).optional(),
    })
    .strict(),
  z
    .object({
      ...checkBase,
      kind: z.literal('https'),
      url: z.string().regex(/^https:\/\/\S+$/, 'must be an https:// URL'),
      expectStatus: z.number().int().min(100).max(599).default(200),
      /** Text the response body must contain (a login form's title, a health word). */
      expectText: z.string().min(1).optional(),
      caFile: z.string().min(1).optional(),
    })
    .strict(),
  z.object({ ...checkBase, kind: z.literal('tcp'), host: hostName, port }).strict(),
  z
    .object({
      ...checkBase,
      kind: z.literal('file-share'),
      protocol: z.enum(['smb', 'nfs']),
      host: hostName,
      /** Default 445 (smb) or 2049 (nfs). */
      port: port.optional(),
      /** The share as mounted on the worker; the check reads this file and expects it non-empty. */
      readFile: z.string().regex(/^\//, 'must be an absolute path on the worker'),
    })
    .strict(),
]);
export type ServiceCheck = z.infer<typeof serviceCheckSchema>;

/** Break-glass and shared admin accounts: never reset automatically; a person decides. */
const clientTriageSchema = z
  .object({ manualAccounts: z.array(identity).default([]) })
  .strict();
/**
 * Discovery on a Schedule (issue 12): the RMM's device and software lists reconcile the inventory,
 * together with other sources the MSP exports (a subnet scan as CSV). A path, not file contents:
 * the worker reads the file at each run, so a refreshed scan is picked up without a policy change.
 */
export const discoveryPolicySchema = z
  .object({
    every: z.enum(['daily', 'weekly']),
    /** Client-local time of the run. */
    at: clockTime.default('02:00'),
    /** For weekly runs. */
    day: z.enum(WEEKDAYS).default('sun'),
    /** A device no source has seen for this long is recorded as gone silent. */
    silentAfter: boundedDuration('1d', '365d').prefault('7d'),
    unmanagedSources: z.array(z.string().min(1, 'must be a path to a CSV file')).default([]),
  })
  .strict();
export type DiscoveryPolicy = z.infer<typeof discoveryPolicySchema>;

/** Restore drills on a Schedule: a critical system's snapshot test-restored and kept as evidence. */
export const restoreDrillPolicySchema = z
  .object({
    every: z.enum(['weekly', 'monthly', 'quarterly']),
    at: clockTime.default('03:00'),
    /** Hosts to drill in turn; by default the client's core-server and do-not-disrupt assets. */
    hosts: z.array(z.string().min(1)).default([]),
  })
  .strict();
export type RestoreDrillPolicy = z.infer<typeof restoreDrillPolicySchema>;
export const CHAT_CHANNELS = ['slack', 'teams'] as const;
/** What goes to a client's chat channels besides the mail. */
export const CHAT_EVENTS = ['gate-breached', 'promotion-waiting', 'rollback'] as const;
export type ChatEvent = (typeof CHAT_EVENTS)[number];

/**
 * Per-client chat notifications. The webhook URLs are credentials (anyone holding one can post), so
 * they are not here: they come from PATCHCTL_CHAT_WEBHOOKS_FILE (a 0600 JSON file) keyed by client id.
 */
const chatSchema = z
  .object({
    channels: z.array(z.enum(CHAT_CHANNELS)).min(1, 'must name at least one of slack, teams'),
    events: z.array(z.enum(CHAT_EVENTS)).min(1, `must name at least one of ${CHAT_EVENTS.join(', ')}`).default([...CHAT_EVENTS]),
  })
  .strict();
export type ChatPolicy = z.infer<typeof chatSchema>;

/**
 * Notices to the client (issue 13): `beforePatching` mails the client's named contact `hoursBefore`
 * the maintenance window in which a ring with their assets is due to start, once per cycle and ring.
 */
const clientNoticesSchema = z
  .object({
    beforePatching: z
      .object({
        contact: identity,
        hoursBefore: z.number().int('must be a whole number of hours').min(1, 'must be between 1 and 168 hours').max(168, 'must be between 1 and 168 hours'),
      })
      .strict()
      .optional(),
  })
  .strict();
export type ClientNoticesPolicy = z.infer<typeof clientNoticesSchema>;


export const clientSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,40}$/, 'must be lower-case letters, digits and dashes (2-41 chars)'),
    name: z.string().min(1),
    timezone: z.string().refine(isTimeZone, 'must be an IANA time zone like America/New_York'),
    owner: identity,
    maintenanceWindows: z.array(maintenanceWindowSchema).min(1, 'must define at least one maintenance window'),
    workloadChecks: z.array(z.enum(WORKLOAD_CHECKS)).default([]),
    serviceChecks: z.array(serviceCheckSchema).default([]),
    triage: clientTriageSchema.prefault({}),
    /** Who may abort this client's cycles, report incidents and pause them, beside the top-level `operators`. */
    operators: z.array(identity).optional(),
    adapters: adaptersSchema.prefault({}),
    simulation: simulationSchema.prefault({}),
    /** A regulated account (HIPAA, PCI, …): `report risk` ranks it first (the playbook's 30-day roadmap). */
    regulated: z.boolean().optional(),
    /** `high`: the business cannot afford downtime; `report risk` weighs it second. */
    uptime: z.enum(UPTIME_NEEDS).optional(),
    /** The patch failure rate the client agreed to; the scorecard flags a period above it. Default: the production ring's failureThreshold. */
    agreedFailureThreshold: failureShare.optional(),
    discovery: discoveryPolicySchema.optional(),
    restoreDrills: restoreDrillPolicySchema.optional(),
    chat: chatSchema.optional(),
    notices: clientNoticesSchema.optional(),
  })
  .strict();
export type ClientPolicy = z.infer<typeof clientSchema>;

export const rolloutSchema = z
  .object({
    batchSize: z.number().int().min(1).max(1000).default(50),
    jobPollInterval: within('jobPollInterval').prefault('30s'),
    gateDecisionTimeout: within('gateDecisionTimeout').prefault('4h'),
    approvalReminderAfter: within('approvalReminderAfter').prefault('2h'),
    escalateBeforeDeadline: within('escalateBeforeDeadline').prefault('4h'),
    snapshotAssetClasses: z.array(z.enum(ASSET_CLASSES)).default(['core-server', 'do-not-disrupt']),
    jobDeadline: within('jobDeadline').prefault('6h'),
    batchLeadTime: within('batchLeadTime').prefault('15m'),
    maxVendorFailures: z
      .number()
      .int('must be a whole number of outages')
      .min(POLICY_BOUNDS.maxVendorFailures[0], `must be between ${POLICY_BOUNDS.maxVendorFailures[0]} and ${POLICY_BOUNDS.maxVendorFailures[1]}`)
      .max(POLICY_BOUNDS.maxVendorFailures[1], `must be between ${POLICY_BOUNDS.maxVendorFailures[0]} and ${POLICY_BOUNDS.maxVendorFailures[1]}`)
      .default(3),
  })
  .strict();
export type RolloutPolicy = z.infer<typeof rolloutSchema>;

export const exceptionPolicySchema = z
  .object({
    maxDuration: within('exceptionMaxDuration').prefault('90d'),
    reminderBefore: within('exceptionReminderBefore').prefault('7d'),
    decisionTimeout: within('exceptionDecisionTimeout').prefault('7d'),
    approvers: z.array(identity).default([]),
    reviewInterval: within('exceptionReviewInterval').prefault('90d'),
  })
  .strict();

/**
 * Credential-alert triage, a tier of its own with its own SLA (playbook section 7): every alert is
 * contained and the client owner told within `sla`; a step still unfinished `escalateAfter` after it
 * began mails `escalation` (and msp.escalation). `responders` decide on accounts a machine must not reset.
 */
export const triagePolicySchema = z
  .object({
    sla: within('triageSla').prefault('4h'),
    escalateAfter: within('triageEscalateAfter').prefault('1h'),
    escalation: z.array(identity).default([]),
    responders: z.array(identity).default([]),
  })
  .strict();
export type TriagePolicy = z.infer<typeof triagePolicySchema>;

export const policySchema = z
  .object({
    version: z.literal(1),
    msp: z
      .object({
        name: z.string().min(1),
        mailFrom: identity,
        escalation: z.array(identity).default([]),
        /** The MSP's Ed25519 public key (PEM), against which `evidence verify` checks bundle signatures. */
        evidencePublicKey: ed25519PublicKey.optional(),
        /**
         * The MSP's list of supported and unsupported software (YAML or CSV, see README), and who
         * gets the quarterly reminder to review it (by default the escalation list).
         */
        softwareList: z
          .object({ file: z.string().min(1, 'must be a path to a YAML or CSV file'), reviewers: z.array(identity).default([]) })
          .strict()
          .optional(),
      })
      .strict(),
    /**
     * Who may abort a cycle, report an incident and pause or resume it. Unset: the ring deciders and
     * the person who started the cycle. A client's own `operators` add to these.
     */
    operators: z.array(identity).optional(),
    /**
     * Signed decisions: each person's Ed25519 public key (PEM); when required, unsigned decisions are
     * refused. `delegates` are keys that sign on behalf of a named person (the approval page): the
     * evidence then says "signed by <delegate> on behalf of <person>".
     */
    signing: z
      .object({
        requireSignedApprovals: z.boolean().default(false),
        /**
         * A folder of `<person>.pub.pem` files (relative to the policy file), read by the loader into
         * `publicKeys` at every load: revoking a person's key is deleting their file.
         */
        keysDir: z.string().min(1, 'must be a folder of <person>.pub.pem files').optional(),
        publicKeys: z.record(identity, ed25519PublicKey).default({}),
        delegates: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]{1,40}$/, 'must be a delegate name of lower-case letters, digits and dashes'), ed25519PublicKey).default({}),
      })
      .strict()
      .prefault({}),
    sla: slaTableSchema,
    rings: ringsSchema,
    rollout: rolloutSchema.prefault({}),
    exceptions: exceptionPolicySchema.prefault({}),
    triage: triagePolicySchema.prefault({}),
    clients: z.array(clientSchema).min(1, 'must define at least one client'),
  })
  .strict()
  .superRefine((policy, ctx) => {
    if (policy.signing.requireSignedApprovals) {
      const gateDeciders = RINGS.flatMap((ring) => policy.rings[ring].gate?.deciders ?? []);
      const deciders = new Set([...policy.rings.pilot.promotion.approvers, ...policy.rings.production.promotion.approvers, ...gateDeciders, ...policy.exceptions.approvers, ...policy.triage.responders, ...policy.clients.map((c) => c.owner)]);
      for (const person of deciders) {
        if (!policy.signing.publicKeys[person]) {
          ctx.addIssue({ code: 'custom', path: ['signing', 'publicKeys'], message: `requireSignedApprovals is on but ${person} has no public key` });
        }
      }
    }
    const seen = new Set<string>();
    policy.clients.forEach((client, i) => {
      const names = new Set<string>();
      client.serviceChecks.forEach((check, j) => {
        if (names.has(check.name)) ctx.addIssue({ code: 'custom', path: ['clients', i, 'serviceChecks', j, 'name'], message: "is the name of an earlier check of this client; names must be unique" });
        names.add(check.name);
      });
      if (client.triage.manualAccounts.length > 0 && policy.triage.responders.length === 0) {
        ctx.addIssue({ code: 'custom', path: ['triage', 'responders'], message: `must name at least one person when clients[${i}].triage.manualAccounts lists accounts a person must handle` });
      }
      if (seen.has(client.id)) ctx.addIssue({ code: 'custom', path: ['clients', i, 'id'], message: `duplicate client id "${client.id}"` });
      seen.add(client.id);
      for (const port of ['rmm', 'psa', 'snapshot', 'identity'] as const) {
        const implemented: readonly string[] = IMPLEMENTED_ADAPTER_KINDS[port];
        if (!implemented.includes(client.adapters[port])) {
          ctx.addIssue({ code: 'custom', path: ['clients', i, 'adapters', port], message: `not implemented yet; implemented: ${implemented.join(', ')}` });
        }
      }
    });
    for (const assetClass of ASSET_CLASSES) {
      for (const severity of SEVERITIES) {
        const { mode } = policy.sla[assetClass][severity].reboot;
        if (!ENFORCED_REBOOT_MODES.includes(mode)) {
          ctx.addIssue({
            code: 'custom',
            path: ['sla', assetClass, severity, 'reboot', 'mode'],
            message: 'not enforced yet: nothing reboots at a scheduled day and time; use user-prompted (the RMM prompts the user) or manual-approval (a person approves the promotion)',
          });
        }
      }
    }
  });

export type PatchPolicy = z.infer<typeof policySchema>;
export type PatchPolicyInput = z.input<typeof policySchema>;
