import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../support/cli';
import { startDevProcess } from '../support/dev-process';

// The CLI as users run it: the built binary, a `patchctl dev` in one process and commands from others.

interface CycleJson {
  id: string;
  client: string;
  status: string;
  rings: { ring: string; assets: number; verified: number; failed: number }[];
}

describe('patchctl demo', () => {
  it('runs both cycles unattended and reports them as JSON', { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'patchctl-demo-'));
    try {
      const result = await runCli(['demo', '--json', '--endpoints', '120'], { cwd: dir, timeoutMs: 240_000 });
      expect(result.code, `${result.stderr}\n${result.stdout}`).toBe(0);
      const doc = result.json<{ cycles: (CycleJson & { excluded: { hostname: string; exceptionId?: string }[] })[]; exceptions: { id: string; kind: string; status: string; hostnames: string[]; controls: unknown[] }[] }>();
      // One deferral and one isolated-lane asset, approved through their workflows, kept out of the cycle.
      expect(doc.exceptions.map((e) => [e.kind, e.status])).toEqual([
        ['deferral', 'active'],
        ['isolated-lane', 'active'],
      ]);
      expect(doc.exceptions[1]?.controls.length).toBeGreaterThan(0);
      for (const e of doc.exceptions) {
        expect(doc.cycles[0]?.excluded).toContainEqual(expect.objectContaining({ hostname: e.hostnames[0], exceptionId: e.id.split('/')[1] }));
      }
      expect(doc.cycles.map((c) => [c.client, c.status])).toEqual([
        ['riverside-dental', 'completed'],
        ['harbor-pediatrics', 'rolled-back'],
      ]);
      expect(doc.cycles[0]?.id).toMatch(/^riverside-dental\/demo-/);
      expect(doc.cycles[0]?.rings.map((r) => r.ring)).toEqual(['canary', 'pilot', 'production']);
      expect(doc.cycles[0]?.rings.every((r) => r.verified === r.assets && r.failed === 0)).toBe(true);
      expect(doc.cycles[1]?.rings[0]?.failed).toBe(doc.cycles[1]?.rings[0]?.assets);

      // The demo's state stays: a later `patchctl dev` here shows its cycles, although no worker
      // polls the demo's task queue any more.
      const dev = await startDevProcess('policy-e2e.yaml', 'unused', dir);
      try {
        const status = await dev.cli(['cycle', 'status', doc.cycles[0]?.id ?? '', '--json']);
        expect(status.code, status.stderr).toBe(0);
        expect(status.json<{ phase: string; excluded: unknown[] }>()).toMatchObject({ phase: 'completed', excluded: doc.cycles[0]?.excluded });
      } finally {
        await dev.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a cycle driven from several terminals', () => {
  it('imports inventory into a running dev stack, starts a cycle, refuses the wrong approvers and completes on the right ones', { timeout: 300_000 }, async () => {
    const dev = await startDevProcess('policy-e2e.yaml', 'patchctl-e2e');
    const { dir, cli } = dev;
    try {
      const imported = await cli(['inventory', 'import', join(REPO_ROOT, 'tests', 'fixtures', 'inventory-good.csv'), '--client', 'acme-dental', '--json']);
      expect(imported.code, imported.stderr).toBe(0);

      const dryRun = await cli(['cycle', 'start', '--client', 'acme-dental', '--dry-run', '--json']);
      expect(dryRun.code, dryRun.stderr).toBe(0);
      const preview = dryRun.json<{ plan: { rings: { ring: string; assets: number }[] } }>();
      const listedBefore = await cli(['cycle', 'list', '--json']);
      expect(listedBefore.json<{ cycles: unknown[] }>().cycles).toEqual([]);

      const started = await cli(['cycle', 'start', '--client', 'acme-dental', '--name', 'e2e-1', '--as', 'engineer@msp.test', '--json']);
      expect(started.code, started.stderr).toBe(0);
      const { cycleId, plan } = started.json<{ cycleId: string; plan: { rings: { ring: string; assets: number }[] } }>();
      expect(cycleId).toBe('acme-dental/e2e-1');
      expect(plan.rings.map((r) => r.assets)).toEqual(preview.plan.rings.map((r) => r.assets));

      const waitForPending = async (ring: string) => {
        for (let i = 0; i < 120; i++) {
          const status = await cli(['cycle', 'status', cycleId, '--json']);
          const doc = status.json<{ pending?: { kind: string; ring: string } }>();
          if (doc.pending?.kind === 'promotion' && doc.pending.ring === ring) return;
          await sleep(500);
        }
        throw new Error(`no promotion to ${ring} became pending`);
      };
      await waitForPending('pilot');

      const selfApproval = await cli(['cycle', 'approve', cycleId, '--ring', 'pilot', '--as', 'engineer@msp.test']);
      expect(selfApproval.code).toBe(4);
      expect(selfApproval.stderr).toContain('four-eyes');
      const stranger = await cli(['cycle', 'approve', cycleId, '--ring', 'pilot', '--as', 'intern@msp.test']);
      expect(stranger.code).toBe(4);
      expect(stranger.stderr).toContain('not named in policy');
      const badRing = await cli(['cycle', 'approve', cycleId, '--ring', 'staging', '--as', 'lead@msp.test']);
      expect(badRing.code).toBe(2);
      expect(badRing.stderr).toContain('--ring');

      const approved = await cli(['cycle', 'approve', cycleId, '--ring', 'pilot', '--as', 'lead@msp.test', '--json']);
      expect(approved.code, approved.stderr).toBe(0);
      await waitForPending('production');
      expect((await cli(['cycle', 'approve', cycleId, '--ring', 'production', '--as', 'lead@msp.test'])).code).toBe(0);

      // Not a terminal (a CI log): one line per change, the id in its one printed form.
      const logged = await cli(['cycle', 'status', cycleId, '--watch', '--interval', '200']);
      expect(logged.code, logged.stderr).toBe(0);
      const lines = logged.stdout.trim().split('\n');
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.every((l) => l.startsWith(`${cycleId} `))).toBe(true);
      expect(lines[lines.length - 1]).toContain('completed');
      expect(logged.stdout).not.toContain(`cycle/${cycleId}`);
      const watched = await cli(['cycle', 'status', cycleId, '--watch', '--json']);
      expect(watched.code, watched.stderr).toBe(0);
      const final = watched.json<{ phase: string; rings: { verified: number; planned: number }[]; decisions: { by: string }[] }>();
      expect(final.phase).toBe('completed');
      expect(final.rings.every((r) => r.verified === r.planned)).toBe(true);
      expect(final.decisions.map((d) => d.by)).toEqual(['engineer@msp.test', 'lead@msp.test', 'lead@msp.test']);

      const text = await cli(['cycle', 'status', cycleId]);
      expect(text.stdout.split('\n')[0]).toMatch(new RegExp(`^${cycleId}  phase: completed`));
      const listed = await cli(['cycle', 'list', '--json']);
      expect(listed.json<{ cycles: { id: string; status: string }[] }>().cycles).toContainEqual(expect.objectContaining({ id: cycleId, status: 'completed' }));
      // Mail went to the outbox of the dev stack: the approval requests.
      const info = JSON.parse(readFileSync(join(dir, '.patchctl', 'dev.json'), 'utf8')) as { outboxDir: string };
      expect(existsSync(info.outboxDir)).toBe(true);
      const missing = await cli(['cycle', 'status', 'acme-dental/nope', '--json']);
      expect(missing.code).toBe(3);
    } finally {
      await dev.stop();
    }
  });
});
