import { envSchema, type PatchctlEnv } from '../../config/env-schema';
import { problemsFromZod } from '../../config/problems';
import { readLiveDevInfo } from '../dev-stack/dev-info';
import { badInput, START_STACK_FIX } from '../errors';

/** The environment, validated: a bad variable stops the command with its name and what was expected. */
export function loadEnv(env: NodeJS.ProcessEnv = process.env): PatchctlEnv {
  const parsed = envSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  throw badInput('invalid environment', 'fix or unset the variables named above', problemsFromZod(parsed.error, env));
}

export function noStack(cwd: string): never {
  throw badInput(`no patchctl stack found (no TEMPORAL_ADDRESS / DATABASE_URL and no running \`patchctl dev\` in ${cwd})`, START_STACK_FIX);
}

/** PostgreSQL to use: DATABASE_URL, else the running dev stack's embedded database. */
export function resolveDatabaseUrl(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const parsed = loadEnv(env);
  if (parsed.DATABASE_URL) return parsed.DATABASE_URL;
  const dev = readLiveDevInfo(cwd, env);
  if (!dev) noStack(cwd);
  return dev.databaseUrl;
}

/** Where mail goes when there is no SMTP relay: PATCHCTL_OUTBOX_DIR, else the running dev stack's outbox. */
export function resolveOutboxDir(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string | undefined {
  const parsed = loadEnv(env);
  if (parsed.PATCHCTL_OUTBOX_DIR) return parsed.PATCHCTL_OUTBOX_DIR;
  return readLiveDevInfo(cwd, env)?.outboxDir;
}
