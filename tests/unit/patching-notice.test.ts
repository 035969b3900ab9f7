import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parsePolicyText } from '../../config/load-policy';
import { noticeDue, patchingNotice, ringAboutToBePatched } from '../../domain/cycle/patching-notice';

const example = parse(readFileSync(join(__dirname, '..', '..', 'patchctl.example.yaml'), 'utf8'));

function withNotices(notices: unknown) {
  const doc = structuredClone(example);
  doc.clients[0].notices = notices;
  return parsePolicyText(stringify(doc));
}

describe('notice before patching', () => {
  it('takes a contact and hours in the policy, and refuses a bad one naming the field', () => {
    const ok = withNotices({ beforePatching: { contact: 'frontdesk@clinic.example', hoursBefore: 48 } });
    if (!ok.ok) throw new Error(JSON.stringify(ok.problems));
    expect(ok.policy.clients[0]?.notices).toEqual({ beforePatching: { contact: 'frontdesk@clinic.example', hoursBefore: 48 } });
    const bad = withNotices({ beforePatching: { contact: 'front desk', hoursBefore: 0 } });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.problems.map((p) => [p.path, p.message])).toEqual([
      ['clients[0].notices.beforePatching.contact', expect.stringContaining('e-mail')],
      ['clients[0].notices.beforePatching.hoursBefore', expect.stringContaining('between 1 and 168')],
    ]);
  });

  it('warns about the first ring with pending assets, and not once it is deploying', () => {
    const ring = (name: 'canary' | 'pilot' | 'production', pending: number, started = false) => ({ ring: name, pending, hostnames: [], started });
    expect(ringAboutToBePatched([ring('pilot', 4), ring('canary', 2)])?.ring).toBe('canary');
    expect(ringAboutToBePatched([ring('canary', 0), ring('pilot', 4), ring('production', 9)])?.ring).toBe('pilot');
    expect(ringAboutToBePatched([ring('canary', 2, true), ring('pilot', 4)])).toBeUndefined();
    expect(ringAboutToBePatched([ring('canary', 0)])).toBeUndefined();
  });

  it('is due hoursBefore the window opens, and late rather than never inside an open window', () => {
    const windows = [{ days: ['sat' as const], start: '22:00', duration: 4 * 3_600_000 }];
    expect(noticeDue(new Date('2026-12-04T20:59:00Z'), windows, 'Europe/Berlin', 24).due).toBe(false);
    expect(noticeDue(new Date('2026-12-04T21:00:00Z'), windows, 'Europe/Berlin', 24)).toMatchObject({ due: true, opensAt: new Date('2026-12-05T21:00:00Z') });
    expect(noticeDue(new Date('2026-12-05T23:00:00Z'), windows, 'Europe/Berlin', 1)).toMatchObject({ due: true, opensAt: new Date('2026-12-05T21:00:00Z') });
  });

  it('tells the contact when, in their time zone, and which devices', () => {
    const notice = patchingNotice({
      cycleId: 'cycle/acme/dec', cycleName: 'December updates', patchIds: ['KB5036893'], ring: 'pilot', clientName: 'Acme Dental', timeZone: 'America/New_York',
      contact: 'frontdesk@acme.example', hostnames: ['ws-01', 'ws-02'], opensAt: new Date('2026-12-09T03:00:00Z'), closesAt: new Date('2026-12-09T07:00:00Z'), replyTo: 'noc@msp.example',
    });
    expect(notice).toMatchObject({ messageId: 'patching-notice/cycle/acme/dec/pilot@patchctl', to: ['frontdesk@acme.example'], subject: 'Acme Dental: 2 devices will be patched from Tue 8 Dec 2026 22:00 (America/New_York)' });
    expect(notice.text).toContain('from Tue 8 Dec 2026 22:00 to Wed 9 Dec 2026 02:00 (America/New_York)');
    expect(notice.text).toContain('  ws-02');
    expect(notice.text).toContain('Questions or a reason to hold off: noc@msp.example.');
  });
});
