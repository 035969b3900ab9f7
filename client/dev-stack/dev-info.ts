import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

/** What `patchctl dev` tells other commands run in the same directory about the stack it runs. */
export const devInfoSchema = z.object({
  pid: z.number().int().positive(),
  temporalAddress: z.string().min(1),
  uiUrl: z.string().min(1),
  databaseUrl: z.string().min(1),
  namespace: z.string().min(1),
  taskQueue: z.string().min(1).default('patchctl'),
  outboxDir: z.string().min(1),
  startedAt: z.string().min(1),
});
export type DevInfo = z.infer<typeof devInfoSchema>;

/** The stack's state folder: PATCHCTL_HOME when set (to reach a stack from elsewhere), else ./.patchctl. */
export function stateDir(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
  return env.PATCHCTL_HOME ? resolve(cwd, env.PATCHCTL_HOME) : join(cwd, '.patchctl');
}

export function devInfoFile(cwd?: string, env?: NodeJS.ProcessEnv): string {
  return join(stateDir(cwd, env), 'dev.json');
}

export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** dev.json when present and well-formed (alive or not); undefined otherwise. */
export function readDevInfo(cwd?: string, env?: NodeJS.ProcessEnv): DevInfo | undefined {
  const file = devInfoFile(cwd, env);
  if (!existsSync(file)) return undefined;
  try {
    const parsed = devInfoSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** dev.json of a stack whose process still runs; a stale file from a killed stack is ignored. */
export function readLiveDevInfo(cwd?: string, env?: NodeJS.ProcessEnv): DevInfo | undefined {
  const info = readDevInfo(cwd, env);
  return info && isPidAlive(info.pid) ? info : undefined;
}

export function writeDevInfo(info: DevInfo, cwd?: string, env?: NodeJS.ProcessEnv): string {
  const file = devInfoFile(cwd, env);
  mkdirSync(stateDir(cwd, env), { recursive: true, mode: 0o700 });
  // Rename over the old file so a reader never sees half a document. 0600: it holds the database
  // URL, password included, which no other user of the machine may read.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  return file;
}

/** Removes dev.json, but only when it still describes this process's stack. */
export function removeDevInfo(pid: number, cwd?: string, env?: NodeJS.ProcessEnv): void {
  const info = readDevInfo(cwd, env);
  if (!info || info.pid === pid) rmSync(devInfoFile(cwd, env), { force: true });
}
