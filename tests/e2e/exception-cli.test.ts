import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli';
import { startDevProcess } from '../support/dev-process';

// Exceptions as people use them: requested by an engineer, signed off by the client owner, approved by
// an MSP lead, each from their own terminal against one running `patchctl dev`.

interface Listed {
  ref: string;
  status: string;
  kind: string;
  hostnames: string[];
  approvedBy: string | null;
  ticketId: string | null;
}

interface Requested {
  ref: string;
  ticketId: string | null;
  status: string;
  pending: { step: string; who: string[] } | null;
  next: string;
}

const OWNER = 'owner@acme-dental.example';
const LEAD = 'lead@msp.test';
const ENGINEER = 'engineer@msp.test';

describe('patchctl exception', () => {
  it('requests, refuses the wrong signers, activates, excludes from a cycle, lists by expiry and revokes', { timeout: 300_000 }, async () => {
    const dev = await startDevProcess('policy-e2e.yaml', 'patchctl-exception-e2e');
    const { cli } = dev;
    const listed = async (args: string[] = []) => {
      const result = await cli(['exception', 'list', ...args, '--json']);
      expect(result.code, result.stderr).toBe(0);
      return result.json<{ exceptions: Listed[] }>().exceptions;
    };
    // The register is written by the workflow's activity, a moment after the update answered.
    const waitForListed = async (ref: string, status: string, args: string[] = []) => {
      for (let i = 0; i < 60; i++) {
        if ((await listed(args)).some((e) => e.ref === ref && e.status === status)) return;
        await sleep(250);
      }
      throw new Error(`${ref} never listed as ${status}`);
    };
    const request = async (host: string, expires: string) => {
      const result = await cli(['exception', 'request', '--client', 'acme-dental', '--host', host, '--reason', 'imaging vendor has not certified it', '--expires', expires, '--as', ENGINEER, '--json']);
      expect(result.code, result.stderr).toBe(0);
      return result.json<Requested>();
    };
    const activate = async (ref: string) => {
      expect((await cli(['exception', 'signoff', ref, '--as', OWNER])).code).toBe(0);
      const approved = await cli(['exception', 'approve', ref, '--as', LEAD]);
      expect(approved.code, approved.stderr).toBe(0);
      await waitForListed(ref, 'active', ['--active']);
    };
    try {
      const imported = await cli(['inventory', 'import', join(REPO_ROOT, 'tests', 'fixtures', 'inventory-good.csv'), '--client', 'acme-dental', '--json']);
      expect(imported.code, imported.stderr).toBe(0);

      // Refused before anything starts: each names the option and what was expected.
      const tooLong = await cli(['exception', 'request', '--client', 'acme-dental', '--host', 'acme-op01', '--reason', 'vendor is slow', '--expires', '400d']);
      expect(tooLong.code).toBe(2);
      expect(tooLong.stderr).toContain('--expires');
      expect(tooLong.stderr).toContain('at most 90d');
      const laneWithoutControls = await cli(['exception', 'request', '--client', 'acme-dental', '--host', 'acme-xray01', '--reason', 'cannot be patched', '--lane', '--review', '60d', '--client-approval', 'DOC-77']);
      expect(laneWithoutControls.code).toBe(2);
      expect(laneWithoutControls.stderr).toContain('--control');
      const unknownHost = await cli(['exception', 'request', '--client', 'acme-dental', '--host', 'acme-ghost99', '--reason', 'no such host', '--expires', '10d']);
      expect(unknownHost.code).toBe(3);
      expect(unknownHost.stderr).toContain('acme-ghost99');
      expect(await listed()).toEqual([]);

      const deferral = await request('acme-op02', '30d');
      expect(deferral.ref).toMatch(/^acme-dental\/acme-dental-\d{8}-[0-9a-z]{7}$/);
      expect(deferral.ticketId).toBeTruthy();
      expect(deferral.pending).toEqual(expect.objectContaining({ step: 'signoff', who: [OWNER] }));
      expect(deferral.next).toContain(`patchctl exception signoff ${deferral.ref} --as ${OWNER}`);

      const wrongSigner = await cli(['exception', 'signoff', deferral.ref, '--as', 'intern@msp.test']);
      expect(wrongSigner.code).toBe(4);
      expect(wrongSigner.stderr).toContain(`only the client owner ${OWNER}`);
      const signedOff = await cli(['exception', 'signoff', deferral.ref, '--as', OWNER, '--json']);
      expect(signedOff.code, signedOff.stderr).toBe(0);
      expect(signedOff.json<{ pending: { step: string } | null }>().pending?.step).toBe('approval');
      const selfApproval = await cli(['exception', 'approve', deferral.ref, '--as', ENGINEER]);
      expect(selfApproval.code).toBe(4);
      expect(selfApproval.stderr).toContain('four-eyes');
      const approved = await cli(['exception', 'approve', deferral.ref, '--as', LEAD, '--json']);
      expect(approved.code, approved.stderr).toBe(0);

      await waitForListed(deferral.ref, 'active', ['--active']);
      expect((await listed(['--active'])).find((e) => e.ref === deferral.ref)).toEqual(
        expect.objectContaining({ kind: 'deferral', hostnames: ['acme-op02'], approvedBy: LEAD, ticketId: deferral.ticketId }),
      );

      const shown = await cli(['exception', 'show', deferral.ref, '--json']);
      expect(shown.code, shown.stderr).toBe(0);
      const status = shown.json<{ source: string; status: string; events: { event: string; by: string }[] }>();
      expect(status.source).toBe('workflow');
      expect(status.status).toBe('active');
      expect(status.events.map((e) => [e.event, e.by])).toEqual([
        ['requested', ENGINEER],
        ['ticket', 'patchctl'],
        ['signed-off', OWNER],
        ['approved', LEAD],
        ['activated', 'patchctl'],
      ]);

      const plan = await cli(['cycle', 'start', '--client', 'acme-dental', '--dry-run', '--json']);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.json<{ plan: { excluded: { hostname: string; exceptionId?: string }[] } }>().plan.excluded).toContainEqual(
        expect.objectContaining({ hostname: 'acme-op02', exceptionId: deferral.ref.split('/')[1] }),
      );

      // "What expires in the next two weeks?"
      const soon = await request('acme-fd01', '10d');
      const later = await request('acme-fd02', '60d');
      await activate(soon.ref);
      await activate(later.ref);
      const expiring = (await listed(['--expiring', '14'])).map((e) => e.ref);
      expect(expiring).toContain(soon.ref);
      expect(expiring).not.toContain(later.ref);
      expect(expiring).not.toContain(deferral.ref);

      const revoked = await cli(['exception', 'revoke', deferral.ref, '--as', LEAD, '--reason', 'patch certified early']);
      expect(revoked.code, revoked.stderr).toBe(0);
      await waitForListed(deferral.ref, 'revoked');
      expect((await listed(['--active'])).map((e) => e.ref)).not.toContain(deferral.ref);
    } finally {
      await dev.stop();
    }
  });
});
