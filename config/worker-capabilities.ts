import type { RebootPolicy } from './policy-schema';

/**
 * What the worker can actually run today. The policy schema names more than this (a kind that is
 * planned, a reboot mode the playbook describes); `config check` refuses whatever is named here as
 * missing, so a policy that passes never stops a worker at start or is silently half-obeyed.
 *
 * Adding an adapter: implement it in activities/adapters/build-adapters.ts, then list its kind here.
 */
export const IMPLEMENTED_ADAPTER_KINDS = {
  rmm: ['simulated', 'tactical-rmm', 'ninjaone', 'datto-rmm'],
  psa: ['simulated', 'connectwise', 'halopsa'],
  snapshot: ['simulated', 'proxmox'],
  identity: ['none', 'simulated', 'microsoft-graph'],
} as const satisfies Record<'rmm' | 'psa' | 'snapshot' | 'identity', readonly string[]>;

/**
 * Reboot modes the workflows honour: `manual-approval` holds the ring's promotion for a person,
 * `user-prompted` leaves the reboot to the RMM's own prompt (patchctl sends no reboot command).
 * `scheduled` (a day and time) is validated but nothing schedules the reboot yet.
 */
export const ENFORCED_REBOOT_MODES: readonly RebootPolicy['mode'][] = ['user-prompted', 'manual-approval'];
