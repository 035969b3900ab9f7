import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PatchctlActivities } from '../../activities/create-activities';
import { RINGS, type PatchPolicy, type RingName } from '../../config/policy-schema';
import type { AssetResult } from '../../domain/cycle/batch';
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
  /** When set, verifyBatch of this ring and batch waits until `release()` is called. */
  hold?: { ring: RingName; batchIndex: number; released: Promise<void>; release: () => void; reached: boolean };
}

export function stubWorld(policy: PatchPolicy, rings: StubWorld['rings']): StubWorld {
  return { policy, rings, notices: [], tickets: [], cycleStatuses: [], exceptionRows: [], batches: [] };
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
    snapshotBatch: async () => ({ required: 0, verified: 0, failedHosts: [] }),
    deployBatch: async (ref) => {
      world.batches.push({ ring: ref.ring, batchIndex: ref.batchIndex, attempt: ref.attempt, kind: 'deploy' });
      return { assets: 1, submitted: 1, alreadySubmitted: 0 };
    },
    pollBatchJobs: async () => ({ pending: 0, succeeded: 1, failed: 0 }),
    verifyBatch: async (input) => {
      const hold = world.hold;
      if (hold && hold.ring === input.ring && hold.batchIndex === input.batchIndex && input.attempt === 1) {
        hold.reached = true;
        await hold.released;
      }
      const ring = world.rings[input.ring] as StubRing;
      // A retry works on the failures only, and they now pass.
      const size = input.attempt === 1 ? batchSize(ring, input.batchIndex) : Math.min(batchSize(ring, input.batchIndex), ring.failingPerBatch ?? 0);
      const failed = input.attempt === 1 ? Math.min(size, ring.failingPerBatch ?? 0) : 0;
      const assets: AssetResult[] = Array.from({ length: size }, (_, i) => ({
        hostname: `${input.ring}-${input.batchIndex}-${i}`,
        outcome: i < failed ? 'failed' : 'verified',
        stage: 'deploy',
        detail: i < failed ? 'install failed' : 'ok',
      }));
      return { assets, deployed: size - failed, verified: size - failed, failed };
    },
    rollbackBatch: async (ref) => {
      world.batches.push({ ring: ref.ring, batchIndex: ref.batchIndex, attempt: ref.attempts, kind: 'rollback' });
      return { touched: 1, restored: 0, uninstallsSubmitted: 0, failures: [] };
    },
    verifyRollbackBatch: async () => ({ assets: [], rolledBack: 1, failed: 0 }),
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
  } as PatchctlActivities;
}

export async function stubWorker(env: TestWorkflowEnvironment, world: StubWorld): Promise<Worker> {
  return Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle: await workflowBundle(), activities: stubActivities(world) });
}
