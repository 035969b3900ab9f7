import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../support/cli';
import { startDevProcess } from '../support/dev-process';

// `npm run demo` twice in one directory on one day: every run tells the whole story again, whether
// it brings up its own stack (state kept in .patchctl/) or uses the `patchctl dev` running there.

interface DemoJson {
  cycles: { id: string; client: string; status: string; reason: string; rings: { ring: string; assets: number; verified: number; failed: number }[]; excluded: { hostname: string; exceptionId?: string }[] }[];
  exceptions: { id: string; kind: string; status: string; hostnames: string[] }[];
  report: { clientId: string; month: string; dir: string; files: string[]; pdfProblem?: string };
}

function expectWholeStory(result: CliResult): DemoJson {
  expect(result.code, `${result.stderr}\n${result.stdout}`).toBe(0);
  const doc = result.json<DemoJson>();
  expect(doc.cycles.map((c) => [c.client, c.status])).toEqual([
    ['riverside-dental', 'completed'],
    ['harbor-pediatrics', 'rolled-back'],
  ]);
  const promoted = doc.cycles[0]!;
  expect(promoted.reason).not.toContain('nothing to patch');
  expect(promoted.rings.map((r) => r.ring)).toEqual(['canary', 'pilot', 'production']);
  expect(promoted.rings.every((r) => r.assets > 0 && r.verified === r.assets && r.failed === 0)).toBe(true);
  expect(doc.cycles[1]!.rings[0]!.failed).toBeGreaterThan(0);
  // This run's exceptions, and only those, keep their assets out of this run's cycle.
  expect(doc.exceptions.map((e) => [e.kind, e.status])).toEqual([
    ['deferral', 'active'],
    ['isolated-lane', 'active'],
  ]);
  for (const e of doc.exceptions) {
    expect(promoted.excluded).toContainEqual(expect.objectContaining({ hostname: e.hostnames[0], exceptionId: e.id.split('/')[1] }));
  }
  expect(promoted.excluded).toHaveLength(doc.exceptions.length);
  // It ends with the clinic's monthly report, in the formats a client and an auditor get.
  expect(doc.report).toMatchObject({ clientId: 'riverside-dental', month: new Date().toISOString().slice(0, 7) });
  expect(doc.report.files).toEqual(doc.report.pdfProblem ? ['report.csv', 'report.html'] : ['report.csv', 'report.html', 'report.pdf']);
  expect(existsSync(join(doc.report.dir, 'manifest.json'))).toBe(true);
  return doc;
}

function demo(dir: string): Promise<CliResult> {
  return runCli(['demo', '--json', '--endpoints', '90'], { cwd: dir, env: { PATCHCTL_LOG_LEVEL: 'WARN' }, timeoutMs: 300_000 });
}

describe('patchctl demo, run again', () => {
  it('tells the whole story a second time in the same directory, with its own stack', { timeout: 600_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'patchctl-demo-again-'));
    try {
      const first = expectWholeStory(await demo(dir));
      const second = expectWholeStory(await demo(dir));
      expect(second.cycles.map((c) => c.id)).not.toEqual(first.cycles.map((c) => c.id));
      expect(second.exceptions.map((e) => e.id)).not.toEqual(first.exceptions.map((e) => e.id));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tells the whole story a second time while a patchctl dev runs in the directory', { timeout: 600_000 }, async () => {
    const dev = await startDevProcess('policy-e2e.yaml', 'patchctl-demo-dev');
    try {
      const first = expectWholeStory(await demo(dev.dir));
      const second = expectWholeStory(await demo(dev.dir));
      expect(second.cycles.map((c) => c.id)).not.toEqual(first.cycles.map((c) => c.id));
    } finally {
      await dev.stop();
    }
  });
});
