import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { repoRoot } from './repo-root';

export type BinarySource = 'env' | 'path' | 'tools' | 'sdk-download';

export interface ResolvedBinary {
  /** Absolute path, or undefined when only the SDK's own download is left (needs internet). */
  path: string | undefined;
  source: BinarySource;
}

interface BinarySpec {
  envVar: 'TEMPORAL_CLI_PATH' | 'TEMPORAL_TEST_SERVER_PATH';
  name: string;
}

const CLI: BinarySpec = { envVar: 'TEMPORAL_CLI_PATH', name: 'temporal' };
const TEST_SERVER: BinarySpec = { envVar: 'TEMPORAL_TEST_SERVER_PATH', name: 'temporal-test-server' };

export class MissingBinaryError extends Error {
  constructor(
    readonly binary: string,
    readonly fix: string,
  ) {
    super(`${binary} not found`);
  }
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function toolsBinDir(root = repoRoot()): string {
  return join(root, '.tools', 'venv', 'bin');
}

function resolve(spec: BinarySpec, env: NodeJS.ProcessEnv, root: string): ResolvedBinary {
  const fromEnv = env[spec.envVar];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new MissingBinaryError(spec.name, `${spec.envVar}=${fromEnv} is not an executable file; fix the path or unset it`);
    }
    return { path: fromEnv, source: 'env' };
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, spec.name);
    if (isExecutable(candidate)) return { path: candidate, source: 'path' };
  }
  const tools = join(toolsBinDir(root), spec.name);
  if (isExecutable(tools)) return { path: tools, source: 'tools' };
  return { path: undefined, source: 'sdk-download' };
}

/** The `temporal` CLI / dev server: TEMPORAL_CLI_PATH → PATH → .tools/ → the SDK's download. */
export function resolveTemporalCli(env: NodeJS.ProcessEnv = process.env, root = repoRoot()): ResolvedBinary {
  return resolve(CLI, env, root);
}

/** The time-skipping test server: TEMPORAL_TEST_SERVER_PATH → PATH → .tools/ → the SDK's download. */
export function resolveTestServer(env: NodeJS.ProcessEnv = process.env, root = repoRoot()): ResolvedBinary {
  return resolve(TEST_SERVER, env, root);
}

/** Like the resolvers, but refuses the SDK download (which fails on machines without internet). */
export function requireBinary(resolved: ResolvedBinary, name: string): string {
  if (resolved.path) return resolved.path;
  throw new MissingBinaryError(name, 'run `npm run setup` to install it under .tools/ (or set its *_PATH variable)');
}
