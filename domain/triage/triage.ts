import type { ApprovalSignature, SigningPolicy } from '../approval-signature';
import type { PatchPolicy } from '../../config/policy-schema';

// Pure rules of credential-alert triage (playbook section 7), shared by the workflow, the CLI and
// the webhook. Triage is a tier of its own: its SLA, its records and its report never mix with patching.

export const TRIAGE_ALERT_KINDS = ['leaked-credential', 'risky-sign-in', 'impossible-travel', 'password-spray', 'mfa-fatigue', 'other'] as const;
export type TriageAlertKind = (typeof TRIAGE_ALERT_KINDS)[number];

export const TRIAGE_SOURCES = ['cli', 'webhook'] as const;
export type TriageSource = (typeof TRIAGE_SOURCES)[number];

/** What a credential alert says, once validated (CLI flags or a webhook body). */
export interface TriageAlert {
  clientId: string;
  /** The account, as its user principal name. */
  user: string;
  kind: TriageAlertKind;
  /** The monitoring vendor's own id: the same alert delivered twice is one triage. */
  alertId?: string;
  summary?: string;
  /** When the monitoring saw it (ISO); defaults to when patchctl received it. */
  detectedAt?: string;
}

/** The one input of the credentialTriage workflow. */
export interface CredentialTriageInput extends TriageAlert {
  triageId: string;
  source: TriageSource;
  reportedBy: string;
}

export const TRIAGE_STEPS = ['ticket', 'lookup', 'person', 'password-change', 'session-revocation', 'owner-notice'] as const;
export type TriageStepName = (typeof TRIAGE_STEPS)[number];

export type TriageStepState = 'running' | 'done' | 'failed' | 'skipped';

export interface TriageStep {
  step: TriageStepName;
  state: TriageStepState;
  startedAt: string;
  /** When it should have finished; past it, escalation mail goes out once. */
  deadline: string;
  endedAt?: string;
  /** Set when the step missed its deadline and escalation mail went out. */
  escalatedAt?: string;
  detail?: string;
}

export type TriageState = 'received' | 'containing' | 'waiting-for-person' | 'notifying' | 'completed' | 'dismissed' | 'escalated' | 'failed';

export const TRIAGE_ENDED_STATES: readonly TriageState[] = ['completed', 'dismissed', 'escalated', 'failed'];

/** What a named person decides for an account a machine must not reset. */
export const TRIAGE_RESOLUTIONS = ['reset', 'handled', 'dismiss'] as const;
export type TriageResolution = (typeof TRIAGE_RESOLUTIONS)[number];

export interface TriageDecision {
  by: string;
  resolution: TriageResolution;
  comment?: string;
  signature?: ApprovalSignature;
}

export interface TriageStatus {
  triageId: string;
  clientId: string;
  user: string;
  kind: TriageAlertKind;
  alertId?: string;
  source: TriageSource;
  state: TriageState;
  receivedAt: string;
  slaDeadline: string;
  completedAt?: string;
  /** Whether the alert was contained and the owner told before the SLA deadline (set at the end). */
  slaMet?: boolean;
  ticketId?: string;
  /** Why a person decides instead of an automatic reset (break-glass, shared admin, synced account). */
  manualReason?: string;
  /** The run a responder's signature binds (the first execution's run id). */
  runId?: string;
  /** `decisionId` and `since` are what a responder signs and when signing may start. */
  pending?: { step: 'person'; who: string[]; decideBy: string; decisionId: string; since: string };
  decision?: { by: string; resolution: TriageResolution; at: string; comment?: string; signed: boolean };
  steps: TriageStep[];
  escalations: number;
  outcome?: string;
}

/** The policy a triage is judged by, as the workflow receives it from an activity. */
export interface TriageRules {
  owner: string;
  slaMs: number;
  escalateAfterMs: number;
  /** Who gets escalation mail: triage.escalation, then msp.escalation. */
  escalation: string[];
  responders: string[];
  manualAccounts: string[];
  /** False when the client has no identity adapter: containment is then a person's job. */
  identityAutomated: boolean;
  signing?: SigningPolicy;
}

export function triageRulesFor(policy: PatchPolicy, clientId: string): TriageRules | undefined {
  const client = policy.clients.find((c) => c.id === clientId);
  if (!client) return undefined;
  return {
    owner: client.owner,
    slaMs: policy.triage.sla,
    escalateAfterMs: policy.triage.escalateAfter,
    escalation: [...new Set([...policy.triage.escalation, ...policy.msp.escalation])],
    responders: policy.triage.responders,
    manualAccounts: client.triage.manualAccounts,
    identityAutomated: client.adapters.identity !== 'none',
    signing: { required: policy.signing.requireSignedApprovals, publicKeys: policy.signing.publicKeys },
  };
}

/** Why this account must be handled by a person, or undefined when patchctl may reset it itself. */
export function manualAccountReason(rules: TriageRules, user: string, facts: { onPremisesSynced?: boolean } = {}): string | undefined {
  const upn = user.toLowerCase();
  if (rules.manualAccounts.some((a) => a.toLowerCase() === upn)) return `${user} is a break-glass or shared admin account (clients[].triage.manualAccounts): a person rotates it`;
  if (!rules.identityAutomated) return `the client has no identity adapter (adapters.identity: none): a person resets the password and revokes the sessions`;
  if (facts.onPremisesSynced) return `${user} is synced from on-premises Active Directory: its password is changed there, by a person`;
  return undefined;
}

export const TRIAGE_STATUS_QUERY = 'triageStatus';
