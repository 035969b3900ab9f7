import type { AssetClass } from '../../config/policy-schema';

// Which critical system a restore drill tests, and the plan it verifies where the hypervisor cannot
// make an isolated copy. "Test a restore" (the playbook's 30-day roadmap): a snapshot nobody ever
// restored is a hope, not a rollback.

export const DRILL_ASSET_CLASSES: readonly AssetClass[] = ['core-server', 'do-not-disrupt'];

export interface DrillCandidate {
  hostname: string;
  /** When it was last drilled; undefined if never. */
  lastDrilledAt?: string;
}

/** The candidate drilled longest ago (never drilled first), ties by hostname: every system takes its turn. */
export function nextDrillHost(candidates: readonly DrillCandidate[]): string | undefined {
  return [...candidates].sort((a, b) => {
    const left = a.lastDrilledAt ?? '';
    const right = b.lastDrilledAt ?? '';
    return left === right ? a.hostname.localeCompare(b.hostname) : left < right ? -1 : 1;
  })[0]?.hostname;
}

export function restoreDrillKey(clientId: string, runKey: string): string {
  return `restore-drill/${clientId}/${runKey}`;
}

export interface DrillStep {
  step: string;
  ok: boolean;
  detail: string;
}
