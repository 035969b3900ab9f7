// What a discovery run records about a device, and the PSA ticket it opens for the devices a person
// must look at. Pure, so the workflow, the activities and the CLI word them the same way.

export const DISCOVERY_EVENT_KINDS = ['new', 'unmanaged', 'silent', 'returned', 'os-changed', 'role-changed'] as const;
export type DiscoveryEventKind = (typeof DISCOVERY_EVENT_KINDS)[number];

/** The kinds that open a ticket: a device nobody classified, or one the RMM does not manage. */
export const TICKETED_KINDS: readonly DiscoveryEventKind[] = ['new', 'unmanaged'];

export const DISCOVERY_EVENT_LABELS: Record<DiscoveryEventKind, string> = {
  new: 'new device (not in the inventory)',
  unmanaged: 'not managed by the RMM (seen only by another source)',
  silent: 'gone silent',
  returned: 'seen again after going silent',
  'os-changed': 'operating system changed',
  'role-changed': 'role changed',
};

export interface DiscoveryEvent {
  hostname: string;
  kind: DiscoveryEventKind;
  before: string | null;
  after: string | null;
  firstSeen: string;
  lastSeen: string;
}

export type DiscoveryCounts = Record<DiscoveryEventKind, number> & { devices: number; rmmDevices: number; otherSourceDevices: number; software: number };

export function emptyDiscoveryCounts(): DiscoveryCounts {
  return { devices: 0, rmmDevices: 0, otherSourceDevices: 0, software: 0, new: 0, unmanaged: 0, silent: 0, returned: 0, 'os-changed': 0, 'role-changed': 0 };
}

/** One ticket per run and client: a retried activity or a re-triggered run finds the same one. */
export function discoveryTicketKey(clientId: string, runKey: string): string {
  return `discovery/${clientId}/${runKey}`;
}

/** Devices listed in the ticket body; the rest are counted (the CLI lists them all). */
const LISTED = 200;

export function discoveryTicketText(clientId: string, at: string, events: readonly DiscoveryEvent[], total: number): { summary: string; details: string } {
  const byKind = (kind: DiscoveryEventKind) => events.filter((e) => e.kind === kind);
  const fresh = byKind('new');
  const unmanaged = byKind('unmanaged');
  const parts = [fresh.length ? `${fresh.length} new` : '', unmanaged.length ? `${unmanaged.length} unmanaged` : ''].filter(Boolean);
  const summary = `${clientId}: discovery found ${parts.join(' and ')} device${total === 1 ? '' : 's'} to classify`.slice(0, 100);
  const line = (e: DiscoveryEvent) => `  ${e.hostname}  ${DISCOVERY_EVENT_LABELS[e.kind]}${e.after ? ` (${e.after})` : ''}  first seen ${e.firstSeen}`;
  const details = [
    `Discovery of ${clientId} at ${at} found devices that are not in the classified inventory or not managed by the RMM.`,
    'Each needs an asset class and an ePHI answer (patchctl inventory import), and an RMM agent or a documented reason why not.',
    'Until then the client\'s compliance claim is blocked.',
    '',
    ...events.slice(0, LISTED).map(line),
    ...(total > Math.min(events.length, LISTED) ? [`  … and ${total - Math.min(events.length, LISTED)} more (patchctl inventory unclassified --client ${clientId})`] : []),
  ].join('\n');
  return { summary, details };
}
