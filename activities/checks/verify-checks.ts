import type { BatchRef, OutcomeStage } from '../../domain/cycle/batch';
import { clientPolicy } from '../cycle/plan-cycle';
import type { ActivityDeps } from '../deps';
import { recordWorkloadChecks } from '../store/workload-check-store';
import type { CheckEnv, WorkloadCheckOutcome } from './check-outcome';
import { runServiceCheck } from './workload-checks';

interface Judged {
  hostname: string;
  outcome: 'verified' | 'failed';
  stage: OutcomeStage;
  detail: string;
  fresh: boolean;
}

/**
 * The client's worker-run workload checks, once per verified batch: a failing check fails every
 * asset of the batch it covers (`hosts`, or all) that the rescan had verified, so the gate counts
 * it; each outcome is recorded for the evidence. Returns the outcomes (none when nothing was verified).
 */
export async function applyServiceChecks<T extends Judged>(deps: ActivityDeps, ref: BatchRef, results: T[], env: CheckEnv = process.env): Promise<WorkloadCheckOutcome[]> {
  const checks = clientPolicy(deps.policy, ref.clientId).serviceChecks;
  const verified = results.filter((r) => r.fresh && r.outcome === 'verified');
  if (checks.length === 0 || verified.length === 0) return [];
  const outcomes = await Promise.all(checks.map((check) => runServiceCheck(check, env)));
  await recordWorkloadChecks(deps.db, ref, outcomes);
  for (const r of verified) {
    const failing = outcomes.filter((o, i) => !o.ok && (checks[i]!.hosts === undefined || checks[i]!.hosts!.includes(r.hostname)));
    if (failing.length === 0) {
      r.detail = `${r.detail}; worker checks passed: ${outcomes.map((o) => o.name).join(', ')}`;
      continue;
    }
    r.outcome = 'failed';
    r.stage = 'workload-check';
    r.detail = failing.map((o) => `workload check "${o.name}" (${o.kind} ${o.target}) failed: ${o.detail}`).join('; ');
  }
  return outcomes;
}
