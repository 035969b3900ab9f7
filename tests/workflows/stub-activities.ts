import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PatchctlActivities } from '../../activities/create-activities';
import { RINGS, type PatchPolicy, type RingName } from '../../config/policy-schema';
import { Context } from '@temporalio/activity';
import type { AssetResult, BatchRef } from '../../domain/cycle/batch';
import type { CyclePlan, PlanCycleInput } from '../../domain/cycle/cycle-plan';
import { decisionAuthorityFor } from '../../domain/decision-authority';
import { exceptionRulesFor } from '../../domain/exception/exception';
import type { Notice } from '../../domain/notices';
import { TASK_QUEUE, workflowBundle } from '../support/cycle-harness';

// Activities that keep their effects in memory: the workflows run on the time-skipping server
// against these in seconds, with no database and no vendor. What a test checks is what the
// workflow asked the outside world to do.

export interface StubRing {
  size: number;
  batches: number;
  /** Assets of each batch that fail verification on the first attempt (retries succeed). */
  failingPerBatch?: number;
  manualReboots?: number;
}

export interface StubWorld {
  policy: PatchPolicy;
  rings: Partial<Record<RingName, StubRing>>;
  notices: Notice[];
  tickets: { ticketId: string; summary: string; status: 'open' | 'closed'; notes: string[] }[];
  cycleStatuses: { cycleId: string; status: string; reason?: string }[];
  exceptionRows: { id: string; status: string; statusReason: string | null }[];
  batches: { ring: RingName; batchIndex: number; attempt: number; kind: 'deploy' | 'rollback' }[];
  /** Batches between snapshot and the end of verification right now, and the most there ever were, per ring. */
  inFlight: Partial<Record<RingName, number>>;
  peakInFlight: Partial<Record<RingName, number>>;
  /** While set, snapshot and deploy calls fail like an RMM that is down (a retryable error). */
  rmmDown?: boolean;
  /** Every submitting call (snapshot, deploy): when the server scheduled it, and the window end the workflow gave it. */
  submitCalls: { ring: RingName; batchIndex: number; at: number; submitBefore?: string }[];
  /** A batch whose first asset's job stays `running` forever (an offline agent). */
  stuckJob?: { ring: RingName; batchIndex: number };
  /** Assets the rollback's rescan still shows patched (every rolled-back ring reports them). */
  stillPatched?: { hostname: string; detail: string }[];
  /** How many rollbackBatch calls still find installs in flight before they settle. */
  installsInFlight?: number;
  /** When set, verifyBatch of this ring and batch waits until `release()` is called. */
  hold?: { ring: RingName; batchIndex: number; released: Promise<void>; release: () => void; reached: boolean };
}

export function stubWorld(policy: PatchPolicy, rings: StubWorld['rings']): StubWorld {
  return { policy, rings, notices: [], tickets: [], cycleStatuses: [], exceptionRows: [], batches: [], inFlight: {}, peakInFlight: {}, submitCalls: [] };
}

/** Makes verifyBatch of one batch wait until the test releases it: a ring caught mid-way. */
export function holdBatch(world: StubWorld, ring: RingName, batchIndex: number): void {
  let release = () => undefined as void;
  const released = new Promise<void>((resolve) => (release = resolve));
  world.hold = { ring, batchIndex, released, release, reached: false };
}

function plan(world: StubWorld, input: PlanCycleInput): CyclePlan {
  const { policy } = world;
  const client = policy.clients.find((c) => c.id === input.clientId) ?? policy.clients[0]!;
  return {
    cycleId: input.cycleId,
    clientId: client.id,
    timezone: client.timezone,
    maintenanceWindows: client.maintenanceWindows,
    workloadChecks: client.workloadChecks,
    patches: [{ id: 'KB5044284', severity: 'high' }],
    rings: RINGS.map((ring) => ({
      ring,
      size: world.rings[ring]?.size ?? 0,
      batches: world.rings[ring]?.batches ?? 0,
      snapshots: 0,
      manualReboots: world.rings[ring]?.manualReboots ?? 0,
    })),
    excluded: [],
    excludedCount: 0,
    deadlines: [{ assetClass: 'workstation', severity: 'high', assets: 1, deadline: new Date(Date.parse(input.plannedAt) + 30 * 86_400_000).toISOString(), atRisk: false }],
    ringsPolicy: policy.rings,
    rollout: policy.rollout,
    escalation: policy.msp.escalation,
    clientOwner: client.owner,
    signing: { required: policy.signing.requireSignedApprovals, publicKeys: policy.signing.publicKeys },
  };
}

function batchSize(ring: StubRing, batchIndex: number): number {
  const per = Math.ceil(ring.size / ring.batches);
  return Math.max(0, Math.min(per, ring.size - batchIndex * per));
}

/** Records a submitting call at the server's clock, and fails it while the RMM is down. */
function submitting(world: StubWorld, ref: BatchRef): void {
  world.submitCalls.push({ ring: ref.ring, batchIndex: ref.batchIndex, at: Context.current().info.currentAttemptScheduledTimestampMs, submitBefore: ref.submitBefore });
  if (world.rmmDown) throw new Error('RMM answered 503 Service Unavailable');
}

function notInCycles(name: string): () => Promise<never> {
  return async () => {
    throw new Error(`${name} is not part of a cycle or an exception`);
  };
}

export function stubActivities(world: StubWorld): PatchctlActivities {
  const ticket = (ticketId: string) => {
    const found = world.tickets.find((t) => t.ticketId === ticketId);
    if (!found) throw new Error(`no ticket ${ticketId}`);
    return found;
  };
  return {
    planCycle: async (input) => plan(world, input),
    snapshotBatch: async (ref) => {
      submitting(world, ref);
      const now = (world.inFlight[ref.ring] ?? 0) + 1;
      world.inFlight[ref.ring] = now;
      world.peakInFlight[ref.ring] = Math.max(now, world.peakInFlight[ref.ring] ?? 0);
      return { required: 0, verified: 0, failedHosts: [] };
    },
    deployBatch: async (ref) => {
      submitting(world, ref);
      world.batches.push({ ring: ref.ring, batchIndex: ref.batchIndex, attempt: ref.attempt, kind: 'deploy' });
      const ring = world.rings[ref.ring] as StubRing;
      return { assets: batchSize(ring, ref.batchIndex), submitted: 1, alreadySubmitted: 0 };
    },
    pollBatchJobs: async (ref) => {
      const stuck = world.stuckJob?.ring === ref.ring && world.stuckJob.batchIndex === ref.batchIndex;
      return stuck ? { pending: 1, succeeded: 0, failed: 0 } : { pending: 0, succeeded: 1, failed: 0 };
    },
    verifyBatch: async (input) => {
      const hold = world.hold;
      if (hold && hold.ring === input.ring && hold.batchIndex === input.batchIndex && input.attempt === 1) {
        hold.reached = true;
        await hold.released;
      }
      const ring = world.rings[input.ring] as StubRing;
      // A retry works on the failures only, and they now pass.
      const size = input.attempt === 1 ? batchSize(ring, input.batchIndex) : Math.min(batchSize(ring, input.batchIndex), ring.failingPerBatch ?? 0);
      const stuck = world.stuckJob?.ring === input.ring && world.stuckJob.batchIndex === input.batchIndex ? 1 : 0;
      const failed = input.attempt === 1 ? Math.max(stuck, Math.min(size, ring.failingPerBatch ?? 0)) : 0;
      const assets: AssetResult[] = Array.from({ length: size }, (_, i) => ({
        hostname: `${input.ring}-${input.batchIndex}-${i}`,
        outcome: i < failed ? 'failed' : 'verified',
        stage: 'deploy',
        detail: i < failed ? 'install failed' : 'ok',
      }));
      world.inFlight[input.ring] = (world.inFlight[input.ring] ?? 1) - 1;
      return { assets, deployed: size - failed, verified: size - failed, failed };
    },
    rollbackBatch: async (ref) => {
      world.batches.push({ ring: ref.ring, batchIndex: ref.batchIndex, attempt: ref.attempts, kind: 'rollback' });
      if ((world.installsInFlight ?? 0) > 0) {
        world.installsInFlight = (world.installsInFlight ?? 0) - 1;
        return { touched: 0, restored: 0, uninstallsSubmitted: 0, inFlight: 1, failures: [] };
      }
      return { touched: 1, restored: 0, uninstallsSubmitted: 0, inFlight: 0, failures: [] };
    },
    verifyRollbackBatch: async () => {
      const still = world.stillPatched ?? [];
      return {
        assets: still.map((a) => ({ ...a, outcome: 'rollback-failed' as const })),
        rolledBack: still.length > 0 ? 0 : 1,
        failed: still.length,
      };
    },
    sendNotice: async (notice) => void world.notices.push(notice),
    openTicket: async (request) => {
      const ticketId = `STUB-${world.tickets.length + 1}`;
      world.tickets.push({ ticketId, summary: request.summary, status: 'open', notes: [] });
      return { ticketId };
    },
    addTicketNote: async ({ ticketId, text }) => void ticket(ticketId).notes.push(text),
    closeTicket: async ({ ticketId, resolution }) => {
      const t = ticket(ticketId);
      t.notes.push(resolution);
      t.status = 'closed';
    },
    recordCycleStatus: async ({ cycleId, status, reason }) => void world.cycleStatuses.push({ cycleId, status, reason }),
    loadExceptionRules: async ({ clientId }) => {
      const client = world.policy.clients.find((c) => c.id === clientId) ?? world.policy.clients[0]!;
      return exceptionRulesFor(world.policy, client.owner);
    },
    // Read at every decision: a test that edits world.policy edits "the current policy".
    currentDeciders: async ({ clientId }) => decisionAuthorityFor(world.policy, clientId),
    recordException: async (row) => void world.exceptionRows.push({ id: row.id, status: row.status, statusReason: row.statusReason }),
    // Reporting runs on its own schedule: a cycle or exception that reached for it would be a bug.
    listReportClients: notInCycles('listReportClients'),
    buildClientMonthlyReport: notInCycles('buildClientMonthlyReport'),
    mailClientMonthlyReport: notInCycles('mailClientMonthlyReport'),
    alertSlaBreaches: notInCycles('alertSlaBreaches'),
    loadTriageRules: notInCycles('loadTriageRules'),
    openTriageTicket: notInCycles('openTriageTicket'),
    lookupTriageUser: notInCycles('lookupTriageUser'),
    forceTriagePasswordChange: notInCycles('forceTriagePasswordChange'),
    revokeTriageSessions: notInCycles('revokeTriageSessions'),
    recordTriage: notInCycles('recordTriage'),
    discoverClientInventory: notInCycles('discoverClientInventory'),
    openDiscoveryTicket: notInCycles('openDiscoveryTicket'),
    runRestoreDrill: notInCycles('runRestoreDrill'),
    sendPatchingNotices: notInCycles('sendPatchingNotices'),
    remindSoftwareListReview: notInCycles('remindSoftwareListReview'),
  } as PatchctlActivities;
}

export async function stubWorker(env: TestWorkflowEnvironment, world: StubWorld): Promise<Worker> {
  return Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle: await workflowBundle(), activities: stubActivities(world) });
}
