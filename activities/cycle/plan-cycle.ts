import { RINGS, type ClientPolicy, type PatchPolicy } from '../../config/policy-schema';
import type { CyclePlan, PlanCycleInput, RingPlan } from '../../domain/cycle/cycle-plan';
import { EXCLUDED_LIST_LIMIT } from '../../domain/cycle/cycle-plan';
import { groupDeadlines, mergeExclusions } from '../../domain/cycle/cycle-planning';
import type { ExcludedAsset } from '../../domain/cycle/cycle-status';
import { failure, FailureType } from '../../domain/failure-catalog';
import { assignRings, batchCount, batchRings } from '../../domain/cycle/ring-assignment';
import { highestSeverity, slaTerms } from '../../domain/cycle/sla';
import type { ActivityDeps } from '../deps';
import { whileHeartbeating } from '../heartbeat-ticker';
import type { MissingPatch } from '../ports';
import {
  firstDetected,
  loadActiveExclusions,
  loadPlanningAssets,
  savePlannedCycle,
  type CataloguePatch,
  type CycleRow,
  type PlannedMember,
} from '../store/cycle-store';

export function clientPolicy(policy: PatchPolicy, clientId: string): ClientPolicy {
  const client = policy.clients.find((c) => c.id === clientId);
  if (!client) {
    throw failure(FailureType.NotFound, `client "${clientId}" is not in the policy (known: ${policy.clients.map((c) => c.id).join(', ')})`);
  }
  return client;
}

/**
 * Plans a cycle: what is missing where, who is excluded, which ring and batch each asset is in and
 * its SLA deadline. Members are stored; the workflow only gets the sizes.
 */
export async function planCycle(deps: ActivityDeps, input: PlanCycleInput): Promise<CyclePlan> {
  // Asking the RMM about a few thousand agents takes a while: heartbeats keep the attempt alive.
  const draft = await whileHeartbeating(() => draftPlan(deps, input));
  // Reads and vendor calls happen before the transaction: the embedded PostgreSQL runs only the
  // transaction's connection while one is open, so a vendor adapter querying it would wait forever.
  await savePlannedCycle(deps.db, {
    cycle: draft.cycle,
    members: draft.members,
    exclusions: draft.excluded,
    patches: draft.patches,
    missing: draft.missingPairs,
    detectedAt: new Date(input.plannedAt),
  });
  return draft.plan;
}

/** Plans exactly like a cycle would and writes nothing. */
export async function previewCycle(deps: ActivityDeps, input: PlanCycleInput): Promise<CyclePlan> {
  return (await draftPlan(deps, input)).plan;
}

interface DraftPlan {
  plan: CyclePlan;
  cycle: CycleRow;
  members: PlannedMember[];
  excluded: ExcludedAsset[];
  patches: CataloguePatch[];
  missingPairs: { assetId: string; patchId: string }[];
}

async function draftPlan(deps: ActivityDeps, input: PlanCycleInput): Promise<DraftPlan> {
  const { policy, db } = deps;
  const client = clientPolicy(policy, input.clientId);
  const plannedAt = new Date(input.plannedAt);
  const assets = await loadPlanningAssets(db, client.id);
  if (assets.length === 0) {
    throw failure(FailureType.NotFound, `client "${client.id}" has no assets in inventory; import its inventory first`);
  }

  const missing = await deps.adaptersFor(client.id).rmm.listMissingPatches(client.id, assets.map((a) => a.hostname));
  const wanted = (m: MissingPatch) =>
    input.patchIds && input.patchIds.length > 0 ? input.patchIds.includes(m.patchId) : !input.severity || m.severity === input.severity;
  const inScope = missing.filter(wanted);

  const pendingByHost = new Map<string, MissingPatch[]>();
  for (const m of inScope) {
    const list = pendingByHost.get(m.hostname);
    if (list) list.push(m);
    else pendingByHost.set(m.hostname, [m]);
  }
  const { remaining: patchesByHost, excluded } = mergeExclusions(pendingByHost, await loadActiveExclusions(db, client.id, plannedAt));

  const candidates = assets.filter((a) => patchesByHost.has(a.hostname));
  const patchCatalog = new Map(inScope.map((m) => [m.patchId, m]));
  const patches = [...patchCatalog.values()].map((m) => ({ id: m.patchId, title: m.title, product: m.product, severity: m.severity }));
  const missingPairs = candidates.flatMap((a) => (patchesByHost.get(a.hostname) ?? []).map((m) => ({ assetId: a.assetId, patchId: m.patchId })));
  // The SLA clock runs from when a patch was first seen missing, not from when this cycle planned.
  const detectedAt = await firstDetected(db, missingPairs);

  const rings = assignRings(candidates, { canarySize: policy.rings.canary.size, pilotShare: policy.rings.pilot.share });
  const members: PlannedMember[] = batchRings(rings, policy.rollout.batchSize).map(({ asset, ring, batchIndex }) => {
    const patches = patchesByHost.get(asset.hostname) ?? [];
    const terms = slaTerms(policy.sla, asset.assetClass, highestSeverity(patches.map((p) => p.severity)), detectedAt.get(asset.assetId) ?? plannedAt);
    return {
      assetId: asset.assetId,
      hostname: asset.hostname,
      ring,
      batchIndex,
      assetClass: asset.assetClass,
      patchIds: patches.map((p) => p.patchId).sort(),
      slaDeadline: terms.deadline,
      rebootMode: terms.reboot.mode,
      snapshotRequired: policy.rollout.snapshotAssetClasses.includes(asset.assetClass),
    };
  });

  const cycle = {
    id: input.cycleId,
    clientId: client.id,
    name: input.cycleId.split('/').pop() ?? input.cycleId,
    severity: input.severity,
    patchIds: [...patchCatalog.keys()].sort(),
    requestedBy: input.requestedBy,
  };

  const ringPlans: RingPlan[] = RINGS.map((ring) => {
    const inRing = members.filter((m) => m.ring === ring);
    return {
      ring,
      size: inRing.length,
      batches: batchCount(inRing.length, policy.rollout.batchSize),
      snapshots: inRing.filter((m) => m.snapshotRequired).length,
      manualReboots: inRing.filter((m) => m.rebootMode === 'manual-approval').length,
    };
  });

  const deadlines = groupDeadlines(
    members.map((m) => ({ assetClass: m.assetClass, severity: highestSeverity((patchesByHost.get(m.hostname) ?? []).map((p) => p.severity)), deadline: m.slaDeadline })),
  );

  const plan: CyclePlan = {
    cycleId: input.cycleId,
    clientId: client.id,
    timezone: client.timezone,
    maintenanceWindows: client.maintenanceWindows,
    workloadChecks: client.workloadChecks,
    patches: [...patchCatalog.values()].map((m) => ({ id: m.patchId, severity: m.severity })).sort((a, b) => a.id.localeCompare(b.id)),
    rings: ringPlans,
    excluded: excluded.slice(0, EXCLUDED_LIST_LIMIT),
    excludedCount: excluded.length,
    deadlines,
    ringsPolicy: policy.rings,
    rollout: policy.rollout,
    escalation: policy.msp.escalation,
    clientOwner: client.owner,
    signing: { required: policy.signing.requireSignedApprovals, publicKeys: policy.signing.publicKeys },
  };
  return { plan, cycle, members, excluded, patches, missingPairs };
}
