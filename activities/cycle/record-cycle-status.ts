import type { CycleOutcome } from '../../domain/cycle/cycle-status';
import type { ActivityDeps } from '../deps';
import { setCycleStatus } from '../store/cycle-store';

/** Writes a cycle's end to the store, where `cycle list` and the reports read it. */
export async function recordCycleStatus(deps: ActivityDeps, input: { cycleId: string; status: CycleOutcome; reason?: string; ended: boolean }): Promise<void> {
  await setCycleStatus(deps.db, input.cycleId, input.status, input.reason ?? null, input.ended);
}
