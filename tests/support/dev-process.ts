import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT, runCli, spawnCli, type CliResult } from './cli';

export interface DevProcess {
  /** The directory `patchctl dev` runs in; other commands run there find it through dev.json. */
  dir: string;
  env: Record<string, string>;
  cli(args: string[], extra?: Record<string, string>): Promise<CliResult>;
  /** Ctrl-C, then SIGKILL if it does not stop; removes the directory. */
  stop(): Promise<void>;
}

/** `patchctl dev` as a user starts it in a terminal, with a test policy from tests/fixtures. */
export async function startDevProcess(policyFixture: string, prefix: string, existingDir?: string): Promise<DevProcess> {
  const dir = existingDir ?? mkdtempSync(join(tmpdir(), `${prefix}-`));
  const env = { PATCHCTL_CONFIG: join(REPO_ROOT, 'tests', 'fixtures', policyFixture), PATCHCTL_LOG_LEVEL: 'WARN' };
  const dev = spawnCli(['dev'], { cwd: dir, env });
  let devErr = '';
  dev.stderr?.setEncoding('utf8').on('data', (chunk: string) => (devErr += chunk));
  dev.stdout?.resume();
  const exited = once(dev, 'exit');
  const stop = async () => {
    if (dev.exitCode === null) dev.kill('SIGINT');
    await Promise.race([exited, sleep(20_000)]);
    if (dev.exitCode === null) dev.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const devJson = join(dir, '.patchctl', 'dev.json');
  for (let i = 0; i < 240 && !existsSync(devJson) && dev.exitCode === null; i++) await sleep(500);
  if (!existsSync(devJson)) {
    // The Temporal server's own words, read before stop() removes the directory.
    const temporalLog = join(dir, '.patchctl', 'temporal.log');
    const tail = existsSync(temporalLog) ? readFileSync(temporalLog, 'utf8').split('\n').slice(-40).join('\n') : '(no temporal.log)';
    await stop();
    throw new Error(`patchctl dev did not come up:\n${devErr}\ntemporal.log (last lines):\n${tail}`);
  }
  return {
    dir,
    env,
    cli: (args, extra = {}) => runCli(args, { cwd: dir, env: { ...env, ...extra }, timeoutMs: 60_000 }),
    stop,
  };
}
