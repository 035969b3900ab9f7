import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../config/repo-root';

// Start-up of the CLI next to bare `node`: what a person waits for before `--help` or `config check`
// answers. Runs are interleaved (so a busy neighbour slows all three alike) and the median is kept.

const RUNS = Number(process.env.PATCHCTL_BENCH_STARTUP_RUNS ?? 15);

function runMs(args: string[]): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: repoRoot(), stdio: 'ignore', env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export interface StartupRow {
  what: string;
  ms: number;
  ratio: number;
}

export function measureStartup(): StartupRow[] {
  const cli = join(repoRoot(), 'dist', 'client', 'main.js');
  const cases: [string, string[]][] = [
    ['node -e 0', ['-e', '0']],
    ['patchctl --help', [cli, '--help']],
    ['patchctl config check', [cli, 'config', 'check']],
  ];
  const samples = cases.map(() => [] as number[]);
  for (let i = 0; i < RUNS; i++) cases.forEach(([, args], c) => samples[c]!.push(runMs(args)));
  const bare = median(samples[0]!);
  return cases.map(([what], c) => ({ what, ms: median(samples[c]!), ratio: median(samples[c]!) / bare }));
}

export function startupTable(rows: StartupRow[]): string {
  const lines = [`startup (median of ${RUNS} interleaved runs)`, 'what                     ms   × bare node'];
  for (const r of rows) lines.push(`${r.what.padEnd(22)} ${r.ms.toFixed(0).padStart(5)}   ${r.ratio.toFixed(2)}`);
  return lines.join('\n');
}

if (require.main === module) console.log(startupTable(measureStartup()));
