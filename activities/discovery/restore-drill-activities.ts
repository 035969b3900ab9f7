import { DRILL_ASSET_CLASSES, nextDrillHost, restoreDrillKey, type DrillStep } from '../../domain/discovery/restore-drill';
import { failure } from '../../domain/failure-catalog';
import type { ActivityDeps } from '../deps';
import { whileHeartbeating } from '../heartbeat-ticker';
import type { RestoreTestResult } from '../ports';
import { drillCandidates, getRestoreDrill, recordRestoreDrill, type RestoreDrillRecord } from '../store/restore-drill-store';

// A restore drill: a fresh snapshot of the critical system whose turn it is, restored into an isolated
// copy where the hypervisor adapter can make one; otherwise the snapshot is verified and the restore
// plan recorded. Either way the result is kept as evidence.

export type RestoreDrillOutcome = { drilled: true; drill: RestoreDrillRecord } | { drilled: false; reason: string };

function restorePlan(hostname: string, snapshotId: string, verified: { ok: boolean; detail: string }): RestoreTestResult {
  const steps: DrillStep[] = [
    { step: 'verify snapshot', ok: verified.ok, detail: verified.detail },
    { step: 'restore plan', ok: verified.ok, detail: `roll ${hostname} back to ${snapshotId} in its maintenance window, then re-run its workload checks` },
  ];
  return { mode: 'restore-plan', ok: verified.ok, detail: verified.ok ? `snapshot of ${hostname} verified; the hypervisor adapter cannot make an isolated copy, so a restore plan is recorded` : `snapshot of ${hostname} could not be verified: ${verified.detail}`, steps };
}

export async function runRestoreDrill(deps: ActivityDeps, input: { clientId: string; runKey: string; at: string }): Promise<RestoreDrillOutcome> {
  const client = deps.policy.clients.find((c) => c.id === input.clientId);
  if (!client) throw failure('NotFound', `no client "${input.clientId}" in the policy`);
  const drillKey = restoreDrillKey(input.clientId, input.runKey);
  const earlier = await getRestoreDrill(deps.db, drillKey);
  if (earlier) return { drilled: true, drill: earlier };
  const hostname = nextDrillHost(await drillCandidates(deps.db, input.clientId, DRILL_ASSET_CLASSES, client.restoreDrills?.hosts ?? []));
  if (!hostname) return { drilled: false, reason: `${input.clientId} has no ${DRILL_ASSET_CLASSES.join(' or ')} asset to drill` };
  const { snapshot } = deps.adaptersFor(input.clientId);
  const result = await whileHeartbeating(async () => {
    const { snapshotId } = await snapshot.take({ key: `${drillKey}/snapshot`, clientId: input.clientId, hostname, label: `restore drill ${input.at.slice(0, 10)}` });
    const tested = snapshot.testRestore
      ? await snapshot.testRestore(input.clientId, snapshotId, hostname)
      : restorePlan(hostname, snapshotId, await snapshot.verify(input.clientId, snapshotId));
    return { snapshotId, tested };
  });
  const drill = await recordRestoreDrill(deps.db, {
    drillKey,
    clientId: input.clientId,
    hostname,
    snapshotId: result.snapshotId,
    mode: result.tested.mode,
    ok: result.tested.ok,
    detail: result.tested.detail,
    steps: result.tested.steps,
    drilledAt: input.at,
  });
  return { drilled: true, drill };
}
