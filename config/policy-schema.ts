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
  /** Above half, a gate lets most of a ring fail before it stops anything. */
  failureThreshold: [0, 0.5],
  canarySize: [1, 1000],
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
const gateSchema = z
  .object({ deciders: z.array(identity).min(1, 'must name at least one person who decides this gate') })
  .strict();

const ringBase = {
  soak: within('soak'),
  failureThreshold: z
    .number()
    .min(POLICY_BOUNDS.failureThreshold[0], `must be a share between ${POLICY_BOUNDS.failureThreshold[0]} and ${POLICY_BOUNDS.failureThreshold[1]}`)
    .max(POLICY_BOUNDS.failureThreshold[1], `must be a share between ${POLICY_BOUNDS.failureThreshold[0]} and ${POLICY_BOUNDS.failureThreshold[1]}`),
  gate: gateSchema.optional(),
};

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
  identity: ['none', 'microsoft-graph'],
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


export const clientSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,40}$/, 'must be lower-case letters, digits and dashes (2-41 chars)'),
    name: z.string().min(1),
    timezone: z.string().refine(isTimeZone, 'must be an IANA time zone like America/New_York'),
    owner: identity,
    maintenanceWindows: z.array(maintenanceWindowSchema).min(1, 'must define at least one maintenance window'),
    workloadChecks: z.array(z.enum(WORKLOAD_CHECKS)).default([]),
    adapters: adaptersSchema.prefault({}),
    simulation: simulationSchema.prefault({}),
    chat: chatSchema.optional(),
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
      })
      .strict(),
    /** Signed approvals: each approver's Ed25519 public key (PEM); when required, unsigned decisions are refused. */
    signing: z
      .object({
        requireSignedApprovals: z.boolean().default(false),
        publicKeys: z.record(identity, ed25519PublicKey).default({}),
      })
      .strict()
      .prefault({}),
    sla: slaTableSchema,
    rings: ringsSchema,
    rollout: rolloutSchema.prefault({}),
    exceptions: exceptionPolicySchema.prefault({}),
    clients: z.array(clientSchema).min(1, 'must define at least one client'),
  })
  .strict()
  .superRefine((policy, ctx) => {
    if (policy.signing.requireSignedApprovals) {
      const gateDeciders = RINGS.flatMap((ring) => policy.rings[ring].gate?.deciders ?? []);
      const deciders = new Set([...policy.rings.pilot.promotion.approvers, ...policy.rings.production.promotion.approvers, ...gateDeciders, ...policy.exceptions.approvers, ...policy.clients.map((c) => c.owner)]);
      for (const person of deciders) {
        if (!policy.signing.publicKeys[person]) {
          ctx.addIssue({ code: 'custom', path: ['signing', 'publicKeys'], message: `requireSignedApprovals is on but ${person} has no public key` });
        }
      }
    }
    const seen = new Set<string>();
    policy.clients.forEach((client, i) => {
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
