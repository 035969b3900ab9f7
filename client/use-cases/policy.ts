import { findPolicyFile, loadPolicyFile } from '../../config/load-policy';
import type { PatchPolicy } from '../../config/policy-schema';
import { badInput } from '../errors';

/** The policy the worker also judges by (config/load-policy.ts); an invalid one stops the caller (exit 2). */
export function loadPolicy(explicit?: string): { policy: PatchPolicy; file: string } {
  const loaded = loadPolicyFile(findPolicyFile(explicit));
  if (!loaded.ok) throw badInput(`policy ${loaded.file} is invalid`, 'run `patchctl config check` and fix what it lists', loaded.problems);
  return { policy: loaded.policy, file: loaded.file };
}
