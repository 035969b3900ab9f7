import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseDocument, visit, type Document, type Node as YamlNode } from 'yaml';
import { policySchema, type PatchPolicy } from './policy-schema';
import { describeValue, problemsFromZod, projectWords, type InputProblem } from './problems';
import { repoRoot } from './repo-root';

export type PolicyResult =
  | { ok: true; policy: PatchPolicy; file: string }
  | { ok: false; problems: InputProblem[]; file: string };

export interface LoadedPolicy {
  policy: PatchPolicy;
  file: string;
}

/** The one error for a policy that cannot be used; the CLI turns it into exit 2 with the problems listed. */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  constructor(
    readonly file: string,
    readonly problems: InputProblem[],
  ) {
    super(`policy ${file} has ${problems.length} problem${problems.length === 1 ? '' : 's'}`);
  }
}

export const DEFAULT_POLICY_FILES = ['patchctl.yaml', 'patchctl.yml'];

/** A policy is a few kilobytes; anything this large is the wrong file, and parsing it would only burn memory. */
export const MAX_POLICY_BYTES = 1024 * 1024;
/** yaml's guard against alias bombs ("billion laughs"): how many times aliases may be expanded in all. */
const MAX_ALIAS_EXPANSIONS = 100;
const TOP_LEVEL_SECTIONS = 'version, msp, signing, sla, rings, rollout, exceptions, clients';

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

/** An alias inside the very node it names can only be expanded forever (`a: &a [*a]`). */
function selfReferencingAlias(doc: Document): string | undefined {
  let found: string | undefined;
  visit(doc, {
    Alias(_key, alias, path) {
      const target = alias.resolve(doc);
      if (target && path.some((ancestor) => ancestor === target)) {
        found = alias.source;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

function lineOf(doc: Document, node: YamlNode | undefined, text: string): string {
  const offset = node?.range?.[0];
  if (offset === undefined) return '(file)';
  return `line ${text.slice(0, offset).split('\n').length}`;
}

function firstAliasLine(doc: Document, text: string): string {
  let line = '(file)';
  visit(doc, {
    Alias(_key, alias) {
      line = lineOf(doc, alias, text);
      return visit.BREAK;
    },
  });
  return line;
}

function isPlainMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export interface ParseOptions {
  /**
   * Reads the policy as if signing were off: for the one caller that must learn who the policy's
   * people are before their keys exist (the demo, which then creates them).
   */
  withoutSigning?: boolean;
}

const PUBLIC_KEY_FILE = /^(.+)\.pub\.pem$/;

/**
 * `signing.keysDir`: every `<person>.pub.pem` in it becomes `signing.publicKeys[person]` (a key
 * written in the policy itself wins). Only regular files count, so a symlink cannot smuggle in a key
 * from elsewhere; the folder is relative to the policy file.
 */
function readKeysDir(raw: Record<string, unknown>, file: string): InputProblem[] {
  const signing = raw.signing;
  if (!isPlainMapping(signing) || typeof signing.keysDir !== 'string' || signing.keysDir === '') return [];
  const dir = resolve(file.startsWith('<') ? process.cwd() : dirname(file), signing.keysDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    const code = (error as { code?: string }).code;
    return [{ path: 'signing.keysDir', message: `${dir} ${code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is not a folder' : 'cannot be read'}; create it and put each person's <person>.pub.pem there (patchctl keys generate --out ${signing.keysDir} --name PERSON)` }];
  }
  const keys: Record<string, unknown> = isPlainMapping(signing.publicKeys) ? { ...signing.publicKeys } : {};
  for (const name of names.sort()) {
    const person = PUBLIC_KEY_FILE.exec(name)?.[1]?.toLowerCase();
    if (!person || person in keys) continue;
    const path = join(dir, name);
    if (!lstatSync(path).isFile()) return [{ path: 'signing.keysDir', message: `${path} is not a regular file (a symlink or folder); copy the key in instead` }];
    keys[person] = readFileSync(path, 'utf8');
  }
  signing.publicKeys = keys;
  return [];
}

export function parsePolicyText(text: string, file = '<inline>', options: ParseOptions = {}): PolicyResult {
  const refused = (problems: InputProblem[]): PolicyResult => ({ ok: false, file, problems });
  const nul = text.indexOf('\u0000');
  if (nul >= 0) return refused([{ path: '(file)', message: `binary content (a NUL byte at character ${nul}); expected a YAML text file` }]);
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return refused(doc.errors.map((e) => ({ path: `line ${e.linePos?.[0].line ?? '?'}`, message: `YAML syntax: ${e.message.split('\n')[0]}` })));
  }
  const loop = selfReferencingAlias(doc);
  if (loop !== undefined) {
    return refused([{ path: firstAliasLine(doc, text), message: `the YAML alias *${loop} refers to itself (a node that contains itself); write the value out instead` }]);
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSIONS });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return refused([{ path: firstAliasLine(doc, text), message: `YAML aliases expand too far (${reason.split('\n')[0]}); a policy needs no more than ${MAX_ALIAS_EXPANSIONS} alias expansions` }]);
  }
  if (!isPlainMapping(raw)) {
    return refused([{ path: '(root)', message: `expected a mapping of policy sections (${TOP_LEVEL_SECTIONS}), got ${describeValue(raw ?? undefined)}` }]);
  }
  if (options.withoutSigning) {
    const keysDir = isPlainMapping(raw.signing) ? raw.signing.keysDir : undefined;
    raw.signing = { requireSignedApprovals: false, ...(keysDir === undefined ? {} : { keysDir }) };
  } else {
    const keyProblems = readKeysDir(raw, file);
    if (keyProblems.length > 0) return refused(keyProblems);
  }
  const parsed = policySchema.safeParse(raw, { error: projectWords });
  if (!parsed.success) return refused(problemsFromZod(parsed.error, raw, '', policySchema));
  return { ok: true, policy: parsed.data, file };
}

function readProblem(file: string, error: unknown): InputProblem {
  const code = (error as { code?: string }).code;
  const reasons: Record<string, string> = {
    ENOENT: 'file not found; pass a path or copy patchctl.example.yaml to patchctl.yaml',
    EISDIR: 'is a directory, not a policy file; pass the path of a YAML file',
    EACCES: 'cannot be read (permission denied)',
    EPERM: 'cannot be read (operation not permitted)',
  };
  return { path: '(file)', message: (code && reasons[code]) ?? `cannot be read: ${error instanceof Error ? error.message : String(error)}` };
}

export function loadPolicyFile(file: string, options: ParseOptions = {}): PolicyResult {
  let text: string;
  try {
    const stat = statSync(file);
    if (stat.isDirectory()) return { ok: false, file, problems: [readProblem(file, Object.assign(new Error('directory'), { code: 'EISDIR' }))] };
    if (!stat.isFile()) return { ok: false, file, problems: [{ path: '(file)', message: 'is not a regular file; pass the path of a YAML file' }] };
    if (stat.size > MAX_POLICY_BYTES) {
      return { ok: false, file, problems: [{ path: '(file)', message: `is larger than ${MAX_POLICY_BYTES / 1024} KiB (${stat.size} bytes); a policy is a few kilobytes of YAML` }] };
    }
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { ok: false, file, problems: [readProblem(file, error)] };
  }
  return parsePolicyText(text, file, options);
}

/**
 * The one way to load the policy: the file named, else PATCHCTL_CONFIG, ./patchctl.yaml, the example.
 * Throws PolicyError naming the file and every problem in it.
 */
export function loadPolicy(options: { file?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): LoadedPolicy {
  const file = findPolicyFile(options.file, options.env ?? process.env, options.cwd ?? process.cwd());
  const result = loadPolicyFile(file);
  if (!result.ok) throw new PolicyError(result.file, result.problems);
  return { policy: result.policy, file: result.file };
}
