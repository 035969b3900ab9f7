import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { ShownTriage } from '../../client/cli/triage/triage-view';
import { startDevProcess, type DevProcess } from '../support/dev-process';

// Credential-alert triage as a responder runs it from a terminal against one `patchctl dev` (real dev
// server, simulated PSA and directory): an alert from the CLI is ticketed, the account's password change
// forced and its sessions revoked, the owner told, and the register keeps it; a break-glass account waits
// for a responder, and only a responder may decide.

async function waitForState(dev: DevProcess, ref: string, states: string[]): Promise<ShownTriage> {
  let last: ShownTriage | undefined;
  for (let i = 0; i < 240; i++) {
    const shown = await dev.cli(['triage', 'status', ref, '--json']);
    if (shown.code === 0) {
      last = shown.json<ShownTriage>();
      if (states.includes(last.state)) return last;
    }
    await sleep(500);
  }
  throw new Error(`${ref} never reached ${states.join(' | ')}; last: ${JSON.stringify(last)}`);
}

const outboxMail = (dev: DevProcess) => {
  const outbox = join(dev.dir, '.patchctl', 'outbox');
  return existsSync(outbox) ? readdirSync(outbox).filter((f) => f.endsWith('.eml')).map((f) => readFileSync(join(outbox, f), 'utf8')) : [];
};

describe('patchctl triage', () => {
  it('contains a leaked credential started from the CLI, and holds a break-glass account for a responder', { timeout: 300_000 }, async () => {
    const dev = await startDevProcess('policy-triage.yaml', 'patchctl-triage-e2e');
    const { cli } = dev;
    try {
      const alert = ['triage', 'alert', '--client', 'clinic', '--user', 'jane@clinic.test', '--kind', 'leaked-credential', '--alert-id', 'HIBP-4711', '--summary', 'password found in a breach corpus', '--json'];
      const started = await cli(alert);
      expect(started.code, started.stderr).toBe(0);
      const first = started.json<{ ref: string; triageId: string; workflowId: string; duplicate: boolean }>();
      expect(first).toMatchObject({ ref: expect.stringMatching(/^clinic\/\d{8}-/), duplicate: false });
      // The same alert delivered again is the same triage.
      const again = await cli(alert);
      expect(again.code, again.stderr).toBe(0);
      expect(again.json()).toMatchObject({ ref: first.ref, duplicate: true });

      const done = await waitForState(dev, first.ref, ['completed', 'failed', 'escalated']);
      expect(done).toMatchObject({ state: 'completed', user: 'jane@clinic.test', kind: 'leaked-credential', ticketId: expect.any(String) });
      const step = (name: string) => done.steps.find((s) => s.step === name);
      expect(step('ticket')).toMatchObject({ state: 'done' });
      expect(step('password-change')).toMatchObject({ state: 'done' });
      expect(step('session-revocation')).toMatchObject({ state: 'done' });
      expect(step('owner-notice')).toMatchObject({ state: 'done' });

      // The owner was told, naming the account and the ticket.
      const ownerMail = outboxMail(dev).find((m) => m.includes('To: owner@clinic.test') && m.includes('jane@clinic.test'));
      expect(ownerMail, 'a mail to the client owner about jane').toBeDefined();
      expect(ownerMail).toContain(done.ticketId!);

      // The register, a tier of its own.
      const listed = await cli(['triage', 'list', '--client', 'clinic', '--json']);
      expect(listed.code, listed.stderr).toBe(0);
      const register = listed.json<{ tier: string; triages: { ref: string; state: string; ticketId: string | null }[] }>();
      expect(register.tier).toBe('credential-triage');
      expect(register.triages).toEqual([expect.objectContaining({ ref: first.ref, state: 'completed', ticketId: done.ticketId })]);

      // A break-glass account is never reset by a machine: it waits for a responder.
      const glass = await cli(['triage', 'alert', '--client', 'clinic', '--user', 'breakglass@clinic.test', '--kind', 'risky-sign-in', '--json']);
      expect(glass.code, glass.stderr).toBe(0);
      const glassRef = glass.json<{ ref: string }>().ref;
      const waiting = await waitForState(dev, glassRef, ['waiting-for-person']);
      expect(waiting.pending).toMatchObject({ who: ['lead@msp.test'] });
      expect(waiting.manualReason).toBeTruthy();

      const stranger = await cli(['triage', 'resolve', glassRef, '--resolution', 'reset', '--as', 'intern@msp.test']);
      expect(stranger.code).not.toBe(0);
      expect(stranger.stderr).toContain('intern@msp.test');
      const resolved = await cli(['triage', 'resolve', glassRef, '--resolution', 'handled', '--as', 'lead@msp.test', '--comment', 'rotated by hand from the vault', '--json']);
      expect(resolved.code, resolved.stderr).toBe(0);
      const handled = await waitForState(dev, glassRef, ['completed', 'dismissed', 'failed', 'escalated']);
      expect(handled).toMatchObject({ state: 'completed', decision: { by: 'lead@msp.test', resolution: 'handled' } });
      expect(handled.steps.find((s) => s.step === 'password-change')?.state).not.toBe('done');

      // Refused input names the option and what it expects (exit 2).
      const bad = await cli(['triage', 'alert', '--client', 'clinic', '--user', 'jane@clinic.test', '--kind', 'phishing']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--kind');
    } finally {
      await dev.stop();
    }
  });
});
