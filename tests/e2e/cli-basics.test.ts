import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, spawnCli } from '../support/cli';

const EXAMPLE = join(REPO_ROOT, 'patchctl.example.yaml');
const BAD = join(REPO_ROOT, 'tests', 'fixtures', 'bad-policy.yaml');
const GROUPS = ['config', 'inventory', 'cycle', 'exception', 'evidence', 'keys'];

let emptyDir: string;
beforeAll(() => {
  emptyDir = mkdtempSync(join(tmpdir(), 'patchctl-e2e-'));
});
afterAll(() => {
  rmSync(emptyDir, { recursive: true, force: true });
});

interface ErrorDoc {
  error: { message: string; fix: string | null; problems: Array<{ path: string; message: string }>; exitCode: number };
}

describe('patchctl basics (built CLI)', () => {
  it('prints help for the program, every top-level command and every group', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('Usage: patchctl');
    for (const name of ['dev', 'worker', ...GROUPS]) expect(top.stdout).toContain(name);
    const names = ['dev', 'worker', ...GROUPS];
    const helps = await Promise.all(names.map((name) => runCli([name, '--help'])));
    helps.forEach((help, i) => {
      expect(help.code, `${names[i]} --help`).toBe(0);
      expect(help.stdout).toContain(`Usage: patchctl ${names[i]}`);
    });
    const viaHelpCommand = await runCli(['help', 'config']);
    expect(viaHelpCommand.code).toBe(0);
    expect(viaHelpCommand.stdout).toContain('Usage: patchctl config');
    const check = await runCli(['config', 'check', '--help']);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('Usage: patchctl config check');
  });

  it('prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(pkg.version);
  });

  it('accepts the example policy and summarises it', async () => {
    const result = await runCli(['config', 'check', 'patchctl.example.yaml']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('policy ok');
    expect(result.stdout).toContain('acme-dental');
    expect(result.stdout).toMatch(/SLA cells: 9/);
  });

  it('summarises the policy as one JSON document with --json', async () => {
    const result = await runCli(['config', 'check', EXAMPLE, '--json']);
    expect(result.code).toBe(0);
    const doc = result.json<{ ok: boolean; file: string; clients: Array<{ id: string }>; slaCells: number; rings: { pilot: { share: number } } }>();
    expect(doc).toMatchObject({ ok: true, file: EXAMPLE, slaCells: 9, rings: { pilot: { share: 0.15 } } });
    expect(doc.clients.map((c) => c.id)).toEqual(['acme-dental', 'riverside-dental', 'northside-clinic', 'harbor-pediatrics']);
  });

  it('refuses a bad policy with exit 2 and names every problem', async () => {
    const result = await runCli(['config', 'check', BAD]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    for (const line of [
      'rings.pilot.share: must be between 0.10 and 0.20, got 0.5',
      'rings.canary.size: must be at least 1 asset, got 0',
      'clients[0].timezone:',
      'clients[0].adapters.rmm:',
      'sla.core-server.routine:',
      'rings.production.promotion.approvers:',
    ]) {
      expect(result.stderr).toContain(line);
    }
  });

  it('reports the bad policy as a JSON error document on stdout with --json', async () => {
    const result = await runCli(['config', 'check', BAD, '--json']);
    expect(result.code).toBe(2);
    const doc = result.json<ErrorDoc>();
    expect(doc.error.exitCode).toBe(2);
    expect(doc.error.problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['rings.pilot.share', 'rings.canary.size', 'clients[0].timezone', 'clients[0].adapters.rmm', 'sla.core-server.routine', 'rings.production.promotion.approvers']),
    );
  });

  it('refuses an unknown command and an unknown option with exit 2', async () => {
    const command = await runCli(['frobnicate']);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain("unknown command 'frobnicate'");
    const bareGroup = await runCli(['config']);
    expect(bareGroup.code).toBe(2);
    expect(bareGroup.stderr).toContain('a subcommand is required');
    // A typo'd option is named as the unknown option, not reported as the required one it missed.
    const typo = await runCli(['cycle', 'start', '--clinet', 'acme-dental']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("unknown option '--clinet'");
    expect(typo.stderr).not.toContain('is required');
    const option = await runCli(['config', 'check', '--frobnicate', '--json']);
    expect(option.code).toBe(2);
    expect(option.json<ErrorDoc>().error.message).toContain("unknown option '--frobnicate'");
  });

  it('tells how to start a stack when a command needs one and none runs', async () => {
    for (const args of [['inventory', 'list'], ['worker']]) {
      const result = await runCli(args, { cwd: emptyDir, env: { PATCHCTL_CONFIG: EXAMPLE } });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('no patchctl stack found');
      expect(result.stderr).toContain('start one with `patchctl dev`');
    }
  });

  it('names a malformed environment variable', async () => {
    const result = await runCli(['worker'], { cwd: emptyDir, env: { PATCHCTL_CONFIG: EXAMPLE, TEMPORAL_ADDRESS: 'not an address' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('TEMPORAL_ADDRESS: must be host:port, e.g. localhost:7233, got "not an address"');
  });
});

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('patchctl dev', () => {
  it('runs Temporal, the database and a worker, refuses a second copy, and stops everything on Ctrl-C', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'patchctl-dev-'));
    const env = { PATCHCTL_CONFIG: EXAMPLE, PATCHCTL_LOG_LEVEL: 'WARN' };
    const dev = spawnCli(['dev'], { cwd: dir, env });
    let stderr = '';
    dev.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    let stdout = '';
    dev.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const exited = once(dev, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    let temporalPid: number | undefined;
    let worker: ChildProcess | undefined;
    try {
      const devJson = join(dir, '.patchctl', 'dev.json');
      for (let i = 0; i < 240 && !existsSync(devJson) && dev.exitCode === null; i++) await sleep(500);
      expect(existsSync(devJson), `dev.json never appeared; stderr:\n${stderr}`).toBe(true);
      const info = JSON.parse(readFileSync(devJson, 'utf8')) as { pid: number; temporalAddress: string; uiUrl: string; databaseUrl: string; namespace: string; outboxDir: string; temporalPid: number };
      temporalPid = info.temporalPid;
      expect(info.pid).toBe(dev.pid);
      expect(info.namespace).toBe('default');
      expect(info.databaseUrl).toMatch(/^postgresql:\/\/.*@127\.0\.0\.1:\d+\//);
      expect(existsSync(info.outboxDir)).toBe(true);
      expect(stdout).toContain(info.temporalAddress);
      expect(stdout).toContain(info.uiUrl);

      // The frontend serves the namespace the worker polls.
      const connection = await Connection.connect({ address: info.temporalAddress });
      try {
        const described = await connection.workflowService.describeNamespace({ namespace: 'default' });
        expect(described.namespaceInfo?.name).toBe('default');
      } finally {
        await connection.close();
      }
      const temporalPort = Number(info.temporalAddress.split(':')[1]);
      const databasePort = Number(new URL(info.databaseUrl).port);
      expect(await portAnswers(databasePort)).toBe(true);

      const second = await runCli(['dev'], { cwd: dir, env });
      expect(second.code).toBe(2);
      expect(second.stderr).toContain(`pid ${info.pid}`);

      // Another command run in the same directory finds the stack through dev.json.
      worker = spawnCli(['worker'], { cwd: dir, env });
      let workerOut = '';
      worker.stdout?.setEncoding('utf8').on('data', (chunk: string) => (workerOut += chunk));
      worker.stderr?.setEncoding('utf8').on('data', (chunk: string) => (workerOut += chunk));
      const workerExited = once(worker, 'exit') as Promise<[number | null]>;
      for (let i = 0; i < 120 && !workerOut.includes('polling task queue') && worker.exitCode === null; i++) await sleep(500);
      expect(worker.exitCode, workerOut).toBeNull();
      expect(workerOut).toContain(`polling task queue patchctl on ${info.temporalAddress}`);
      worker.kill('SIGINT');
      expect((await workerExited)[0], workerOut).toBe(0);

      dev.kill('SIGINT');
      const [code] = await exited;
      expect(code, stderr).toBe(0);
      expect(existsSync(devJson)).toBe(false);
      expect(await portAnswers(temporalPort)).toBe(false);
      expect(await portAnswers(databasePort)).toBe(false);
      expect(isAlive(info.temporalPid)).toBe(false);
      // Temporal's state stays for the next start.
      expect(existsSync(join(dir, '.patchctl', 'temporal.db'))).toBe(true);
    } finally {
      // A failed assertion must not leave the stack running: ask nicely, then make sure.
      if (worker && worker.exitCode === null) worker.kill('SIGKILL');
      if (dev.exitCode === null) {
        dev.kill('SIGINT');
        await Promise.race([exited, sleep(20_000)]);
      }
      if (dev.exitCode === null) {
        dev.kill('SIGKILL');
        await exited;
      }
      if (temporalPid !== undefined && isAlive(temporalPid)) process.kill(temporalPid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
