import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { policySchema, type PatchPolicy } from './policy-schema';
import { problemsFromZod, type InputProblem } from './problems';
import { repoRoot } from './repo-root';

export type PolicyResult =
  | { ok: true; policy: PatchPolicy; file: string }
  | { ok: false; problems: InputProblem[]; file: string };

export const DEFAULT_POLICY_FILES = ['patchctl.yaml', 'patchctl.yml'];

/** The policy file in use: an explicit path, PATCHCTL_CONFIG, ./patchctl.yaml, then the shipped example. */
export function findPolicyFile(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  if (explicit) return resolve(cwd, explicit);
  if (env.PATCHCTL_CONFIG) return resolve(cwd, env.PATCHCTL_CONFIG);
  for (const name of DEFAULT_POLICY_FILES) {
    const candidate = resolve(cwd, name);
    if (existsSync(candidate)) return candidate;
  }
  return resolve(repoRoot(), 'patchctl.example.yaml');
}

export function parsePolicyText(text: string, file = '<inline>'): PolicyResult {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      file,
      problems: doc.errors.map((e) => ({ path: `line ${e.linePos?.[0].line ?? '?'}`, message: `YAML syntax: ${e.message.split('\n')[0]}` })),
    };
  }
  const raw: unknown = doc.toJS();
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) return { ok: false, file, problems: problemsFromZod(parsed.error, raw) };
  return { ok: true, policy: parsed.data, file };
}

export function loadPolicyFile(file: string): PolicyResult {
  if (!existsSync(file)) {
    return { ok: false, file, problems: [{ path: file, message: 'file not found; pass a path or copy patchctl.example.yaml to patchctl.yaml' }] };
  }
  return parsePolicyText(readFileSync(file, 'utf8'), file);
}
