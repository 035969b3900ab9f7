import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, cliEnv, spawnCli } from '../support/cli';

// The README's "Using it" block, typed line by line as written into a fresh checkout, so the README
// and the behaviour cannot drift. A line whose comment says `until it says "…"` is typed again, as a
// person would, until its output says that.

function usingItBlock(): string[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## Using it$/m)[1];
  const block = section?.match(/```sh\n([\s\S]*?)```/)?.[1];
  if (!block) throw new Error('README.md has no ```sh block under "## Using it"');
  return block.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
}

/** What a clone holds after `npm ci` and the build `npm run dev` runs first; the examples are copied as shipped. */
function freshCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'patchctl-readme-'));
  cpSync(join(REPO_ROOT, 'package.json'), join(dir, 'package.json'));
  cpSync(join(REPO_ROOT, 'examples'), join(dir, 'examples'), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  symlinkSync(join(REPO_ROOT, 'dist'), join(dir, 'dist'));
  return dir;
}

interface Typed {
  code: number | null;
  output: string;
}

/** One line in a terminal of the checkout; shell variables carry over to the next line as in one session. */
async function type(dir: string, line: string): Promise<Typed> {
  const session = join(dir, '.session.sh');
  if (!existsSync(session)) writeFileSync(session, '');
  const script = `set -a\n. ${JSON.stringify(session)}\n${line}\nrc=$?\nexport -p > ${JSON.stringify(session)}\nexit $rc\n`;
  const child = spawn('bash', ['-c', script], { cwd: dir, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, output };
}

describe('README "Using it"', () => {
  it('works as written on a fresh checkout', { timeout: 900_000 }, async () => {
    const lines = usingItBlock();
    expect(lines.length).toBeGreaterThan(5);
    const dir = freshCheckout();
    let dev: ReturnType<typeof spawnCli> | undefined;
    let devOutput = '';
    try {
      for (const line of lines) {
        const command = line.replace(/\s+#.*$/, '').trim();
        if (command === 'npm ci') {
          // What this test runs on was installed by `npm ci` already.
          expect(existsSync(join(dir, 'node_modules', '@temporalio', 'worker'))).toBe(true);
          continue;
        }
        if (command === 'npm run dev') {
          // `npm run dev` is setup + build (done before this test) and then the built `patchctl dev`.
          expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).scripts.dev).toBe('node dist/client/main.js dev');
          dev = spawnCli(['dev'], { cwd: dir, env: { PATCHCTL_LOG_LEVEL: 'WARN' } });
          dev.stdout?.setEncoding('utf8').on('data', (chunk: string) => (devOutput += chunk));
          dev.stderr?.setEncoding('utf8').on('data', (chunk: string) => (devOutput += chunk));
          const devJson = join(dir, '.patchctl', 'dev.json');
          for (let i = 0; i < 240 && !existsSync(devJson) && dev.exitCode === null; i++) await sleep(500);
          expect(existsSync(devJson), `patchctl dev did not come up:\n${devOutput}`).toBe(true);
          continue;
        }
        const until = line.match(/until it says "([^"]+)"/)?.[1];
        let typed = await type(dir, command);
        for (let i = 0; until && i < 120 && typed.code === 0 && !typed.output.includes(until); i++) {
          await sleep(1000);
          typed = await type(dir, command);
        }
        expect(typed.code, `${line}\n${typed.output}`).toBe(0);
        if (until) expect(typed.output, line).toContain(until);
      }
    } finally {
      if (dev && dev.exitCode === null) {
        const exited = once(dev, 'exit');
        dev.kill('SIGINT');
        await Promise.race([exited, sleep(20_000)]);
        if (dev.exitCode === null) dev.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
