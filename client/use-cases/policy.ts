import { loadPolicy as loadPolicyFromConfig } from '../../config/load-policy';
import type { PatchPolicy } from '../../config/policy-schema';

/**
 * The policy the worker also judges by: the one loader of config/load-policy.ts. An invalid or
 * unreadable file throws its PolicyError, which the CLI prints with every problem (exit 2).
 */
export function loadPolicy(explicit?: string): { policy: PatchPolicy; file: string } {
  const loaded = loadPolicyFromConfig({ file: explicit });
  return { policy: loaded.policy, file: loaded.file };
}
