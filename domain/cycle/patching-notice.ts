import { RINGS, type MaintenanceWindow, type RingName } from '../../config/policy-schema';
import type { Notice } from '../notices';
import { currentOrNextWindow } from './maintenance-window';

// The notice to a client's named contact before their assets are patched. Rings deploy one after
// another, so the ring about to be patched is the first one with assets still pending; once it has
// submitted a job it is being patched and a notice would come too late to be of use.

export interface RingToPatch {
  ring: RingName;
  pending: number;
  hostnames: string[];
  /** A deployment job of this ring was submitted already. */
  started: boolean;
}

/** The ring of a cycle that is patched next, unless it is already under way. */
export function ringAboutToBePatched(rings: readonly RingToPatch[]): RingToPatch | undefined {
  const next = [...rings].sort((a, b) => RINGS.indexOf(a.ring) - RINGS.indexOf(b.ring)).find((r) => r.pending > 0);
  return next && !next.started ? next : undefined;
}

/**
 * When the ring can start (the window open now or the next one) and whether that is within
 * `hoursBefore` of `at`. A window already open counts: the notice is late, but not skipped.
 */
export function noticeDue(at: Date, windows: readonly MaintenanceWindow[], timeZone: string, hoursBefore: number): { due: boolean; opensAt: Date; closesAt: Date } {
  const window = currentOrNextWindow(at, windows, timeZone);
  return { due: window.opensAt.getTime() - at.getTime() <= hoursBefore * 3_600_000, ...window };
}

/** "Sat 5 Dec 2026 22:00" in the client's time zone. */
export function localWhen(at: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.weekday} ${parts.day} ${parts.month} ${parts.year} ${parts.hour}:${parts.minute}`;
}

export function patchingNoticeMessageId(cycleId: string, ring: RingName): string {
  return `patching-notice/${cycleId}/${ring}@patchctl`;
}

export interface PatchingNoticeInput {
  cycleId: string;
  cycleName: string;
  patchIds: readonly string[];
  ring: RingName;
  clientName: string;
  timeZone: string;
  contact: string;
  hostnames: readonly string[];
  opensAt: Date;
  closesAt: Date;
  /** The MSP's own address for questions (msp.escalation), if any. */
  replyTo?: string;
}

const LISTED_HOSTS = 50;

export function patchingNotice(input: PatchingNoticeInput): Notice {
  const count = input.hostnames.length;
  const from = localWhen(input.opensAt, input.timeZone);
  const until = localWhen(input.closesAt, input.timeZone);
  const hosts = input.hostnames.slice(0, LISTED_HOSTS).map((h) => `  ${h}`);
  return {
    messageId: patchingNoticeMessageId(input.cycleId, input.ring),
    to: [input.contact],
    subject: `${input.clientName}: ${count} device${count === 1 ? '' : 's'} will be patched from ${from} (${input.timeZone})`,
    text: [
      `${count} of your device${count === 1 ? '' : 's'} (${input.ring} ring of "${input.cycleName}") will be updated in the maintenance window from ${from} to ${until} (${input.timeZone}).`,
      input.patchIds.length > 0 ? `Updates: ${input.patchIds.join(', ')}.` : 'Updates: the approved updates of this cycle.',
      'Please save your work and leave these devices on and connected; they may restart during the window.',
      input.ring === 'canary' ? '' : 'This ring starts once the previous ring has been approved; if that takes longer, it moves to a later window.',
      '',
      ...hosts,
      ...(count > LISTED_HOSTS ? [`  … and ${count - LISTED_HOSTS} more`] : []),
      '',
      input.replyTo ? `Questions or a reason to hold off: ${input.replyTo}.` : '',
    ]
      .filter((line, i, all) => line !== '' || (i > 0 && all[i - 1] !== ''))
      .join('\n'),
  };
}
