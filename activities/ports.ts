import type { AssetRole, OperatingSystem, RingName, Severity, WorkloadCheck } from '../config/policy-schema';
import type { DrillStep } from '../domain/discovery/restore-drill';

// Ports: everything patchctl needs from the outside world. Each has vendor adapters under
// adapters/<port>/ and a deterministic simulated adapter for the embedded demo and benchmarks.

export interface RmmDevice {
  hostname: string;
  os: OperatingSystem;
  role: AssetRole;
  online: boolean;
  software: string[];
}

/** The application inventory of one device, as the RMM's software audit lists it. */
export interface RmmSoftware {
  hostname: string;
  applications: string[];
}

export interface MissingPatch {
  hostname: string;
  patchId: string;
  title: string;
  product: string;
  severity: Severity;
}

export interface DeploymentRequest {
  /** Our idempotency key (`deploymentKey(...)`): the same key submitted twice runs once. */
  key: string;
  clientId: string;
  cycleId: string;
  ring: RingName;
  hostname: string;
  patchId: string;
  /**
   * Every patch the cycle plans for this host. RMMs whose install call installs whatever is approved
   * on the agent (Tactical) must not go ahead while other approvals would ride along.
   */
  plannedPatchIds?: readonly string[];
}

export type JobState = 'pending' | 'running' | 'succeeded' | 'failed';

export interface JobStatus {
  jobId: string;
  state: JobState;
  /** Vendor wording of the outcome, kept for the evidence chain. */
  detail: string;
  finishedAt?: string;
}

export interface RescanResult {
  hostname: string;
  /** patchId → installed according to the RMM's fresh scan. */
  installed: Record<string, boolean>;
}

export interface WorkloadCheckResult {
  check: WorkloadCheck;
  ok: boolean;
  detail: string;
}

export interface RmmPort {
  listDevices(clientId: string): Promise<RmmDevice[]>;
  listMissingPatches(clientId: string, hostnames: readonly string[]): Promise<MissingPatch[]>;
  submitDeployment(request: DeploymentRequest): Promise<{ jobId: string }>;
  jobStatus(clientId: string, jobId: string): Promise<JobStatus>;
  submitUninstall(request: DeploymentRequest): Promise<{ jobId: string }>;
  /**
   * For RMMs that install by approval (Tactical): withdraws our approval of a patch a snapshot restore
   * removed, so the RMM's own schedule does not install it again. Absent where approvals are not ours.
   */
  withdrawApproval?(clientId: string, hostname: string, patchId: string): Promise<void>;
  rescan(clientId: string, hostname: string, patchIds: readonly string[]): Promise<RescanResult>;
  runWorkloadCheck(clientId: string, hostname: string, check: WorkloadCheck): Promise<WorkloadCheckResult>;
  /**
   * Installed applications per device, for discovery. Optional: an RMM whose API lists no software
   * leaves the application inventory as it was instead of emptying it.
   */
  listSoftware?(clientId: string): Promise<RmmSoftware[]>;
}

export interface TicketRequest {
  /** Our key, stored in the PSA's external-reference field so a retried create finds the first. */
  key: string;
  clientId: string;
  summary: string;
  details: string;
  priority: 'low' | 'medium' | 'high' | 'critical';
}

export interface PsaPort {
  openTicket(request: TicketRequest): Promise<{ ticketId: string }>;
  addNote(ticketId: string, text: string): Promise<void>;
  closeTicket(ticketId: string, resolution: string): Promise<void>;
}

export interface SnapshotRequest {
  key: string;
  clientId: string;
  hostname: string;
  label: string;
}

export interface SnapshotPort {
  take(request: SnapshotRequest): Promise<{ snapshotId: string }>;
  verify(clientId: string, snapshotId: string): Promise<{ ok: boolean; detail: string }>;
  restore(clientId: string, snapshotId: string): Promise<{ ok: boolean; detail: string }>;
  /**
   * A restore drill: the snapshot restored into an isolated copy (no network, the original untouched)
   * and checked. Optional: without it the drill verifies the snapshot and records a restore plan.
   */
  testRestore?(clientId: string, snapshotId: string, hostname: string): Promise<RestoreTestResult>;
}

export interface RestoreTestResult {
  mode: 'isolated-copy' | 'restore-plan';
  ok: boolean;
  detail: string;
  steps: DrillStep[];
}

export interface MailMessage {
  /** Deterministic id so a retried send is recognisable as the same message. */
  messageId: string;
  to: string[];
  subject: string;
  text: string;
  /** Files to attach, read from disk at send time (the monthly report's PDF). */
  attachments?: MailAttachment[];
}

export interface MailAttachment {
  filename: string;
  path: string;
  contentType: string;
}

export interface MailerPort {
  send(message: MailMessage): Promise<void>;
}

/** A directory account, as credential-alert triage needs to see it. */
export interface IdentityUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
  accountEnabled: boolean;
  /** Synced from on-premises AD: its password is changed there, not in the cloud directory. */
  onPremisesSynced: boolean;
}

export interface RiskyUser {
  id: string;
  userPrincipalName: string;
  riskLevel: string;
  riskState: string;
  riskDetail?: string;
  riskLastUpdatedAt?: string;
}

/** The client's identity provider (Microsoft Entra ID through Graph). Every call is safe to repeat. */
export interface IdentityPort {
  /** By object id or user principal name; undefined when there is no such user. */
  lookupUser(clientId: string, user: string): Promise<IdentityUser | undefined>;
  /** Invalidates refresh tokens and session cookies, so every device must sign in again. */
  revokeSignInSessions(clientId: string, userId: string): Promise<void>;
  /** The user must choose a new password at the next sign-in. */
  forcePasswordChange(clientId: string, userId: string): Promise<void>;
  /** Users Identity Protection currently considers at risk. */
  listRiskyUsers(clientId: string): Promise<RiskyUser[]>;
}

/** The adapters in use for one client, as its policy entry selects them. */
export interface ClientAdapters {
  rmm: RmmPort;
  psa: PsaPort;
  snapshot: SnapshotPort;
  /** Only for clients whose policy names an identity adapter (adapters.identity). */
  identity?: IdentityPort;
}
