import { z } from 'zod';
import { durationSchema } from './duration';

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
  .object({ deploymentWindow: durationSchema, reboot: rebootPolicySchema })
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
  soak: durationSchema,
  failureThreshold: z.number().min(0, 'must be a share between 0 and 1').max(1, 'must be a share between 0 and 1'),
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
    canary: z.object({ ...ringBase, size: z.number().int().min(1, 'must be at least 1 asset') }).strict(),
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
    duration: durationSchema.refine((ms) => ms > 0 && ms <= 86_400_000, 'must be more than 0 and at most 24h'),
  })
  .strict();
export type MaintenanceWindow = z.infer<typeof maintenanceWindowSchema>;

export const ADAPTER_KINDS = {
  rmm: ['simulated', 'tactical-rmm', 'ninjaone'],
  psa: ['simulated', 'connectwise'],
  snapshot: ['simulated', 'proxmox'],
} as const;

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

export const clientSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,40}$/, 'must be lower-case letters, digits and dashes (2-41 chars)'),
    name: z.string().min(1),
    timezone: z.string().refine(isTimeZone, 'must be an IANA time zone like America/New_York'),
    owner: identity,
    maintenanceWindows: z.array(maintenanceWindowSchema).min(1, 'must define at least one maintenance window'),
    workloadChecks: z.array(z.enum(WORKLOAD_CHECKS)).default([]),
    adapters: z
      .object({
        rmm: z.enum(ADAPTER_KINDS.rmm).default('simulated'),
        psa: z.enum(ADAPTER_KINDS.psa).default('simulated'),
        snapshot: z.enum(ADAPTER_KINDS.snapshot).default('simulated'),
      })
      .strict()
      .prefault({}),
    simulation: simulationSchema.prefault({}),
  })
  .strict();
export type ClientPolicy = z.infer<typeof clientSchema>;

export const rolloutSchema = z
  .object({
    batchSize: z.number().int().min(1).max(1000).default(50),
    jobPollInterval: durationSchema.prefault('30s'),
    gateDecisionTimeout: durationSchema.prefault('4h'),
    approvalReminderAfter: durationSchema.prefault('2h'),
    escalateBeforeDeadline: durationSchema.prefault('4h'),
    snapshotAssetClasses: z.array(z.enum(ASSET_CLASSES)).default(['core-server', 'do-not-disrupt']),
  })
  .strict();
export type RolloutPolicy = z.infer<typeof rolloutSchema>;

export const exceptionPolicySchema = z
  .object({
    maxDuration: durationSchema.prefault('90d'),
    reminderBefore: durationSchema.prefault('7d'),
    decisionTimeout: durationSchema.prefault('7d'),
    approvers: z.array(identity).default([]),
    reviewInterval: durationSchema.prefault('90d'),
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
        evidencePublicKey: z.string().regex(/-----BEGIN PUBLIC KEY-----/, 'must be a PEM public key (see `patchctl keys generate`)').optional(),
      })
      .strict(),
    /** Signed approvals: each approver's Ed25519 public key (PEM); when required, unsigned decisions are refused. */
    signing: z
      .object({
        requireSignedApprovals: z.boolean().default(false),
        publicKeys: z.record(identity, z.string().regex(/-----BEGIN PUBLIC KEY-----/, 'must be a PEM public key (see `patchctl keys generate`)')).default({}),
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
    });
  });

export type PatchPolicy = z.infer<typeof policySchema>;
export type PatchPolicyInput = z.input<typeof policySchema>;
