import type { RingProgress } from '../../domain/cycle/cycle-status';
import type { DecisionsDoc } from './decisions';
import type { ExceptionsDoc } from './cycle-exceptions';
import type { TimelineEntry } from './timeline';

export interface CycleSummaryInput {
  cycleId: string;
  createdAt: string;
  cycle?: { clientId: string; requestedBy: string; status: string; statusReason: string | null; plannedAt: string; endedAt: string | null };
  rings: RingProgress[];
  timeline: TimelineEntry[];
  decisions: DecisionsDoc;
  exceptions: ExceptionsDoc;
  histories: { file: string; workflowId: string; run: number; events: number }[];
}

const cell = (v: unknown) => String(v ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
const table = (headers: string[], rows: unknown[][]) =>
  [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');

/** What an auditor reads first; every number in it is backed by a file of the bundle. */
export function cycleSummaryMarkdown(s: CycleSummaryInput): string {
  const lastStep = (e: TimelineEntry) => e.steps[e.steps.length - 1]?.step ?? 'detected';
  const hosts = new Map<string, string>();
  for (const e of s.timeline) hosts.set(e.hostname, lastStep(e));
  const outcomes = new Map<string, number>();
  for (const step of hosts.values()) outcomes.set(step, (outcomes.get(step) ?? 0) + 1);
  const lines = [
    `# Evidence bundle: ${s.cycleId}`,
    '',
    `Exported ${s.createdAt}.`,
    s.cycle
      ? `Client **${s.cycle.clientId}**, requested by ${s.cycle.requestedBy}, planned ${s.cycle.plannedAt}; status **${s.cycle.status}**${s.cycle.statusReason ? ` (${s.cycle.statusReason})` : ''}${s.cycle.endedAt ? `, ended ${s.cycle.endedAt}` : ''}.`
      : 'The cycle has no row in the patchctl database; the histories are the only record.',
    '',
    '## Rings',
    '',
    table(['ring', 'state', 'planned', 'deployed', 'verified', 'failed', 'workflow'], s.rings.map((r) => [r.ring, r.state, r.planned, r.deployed, r.verified, r.failed, r.workflowId ?? ''])),
    '',
    '## Assets (latest step of each)',
    '',
    `${hosts.size} assets, ${s.timeline.length} asset × patch pairs. Deployment (the install ran) and verification (rescan and workload checks passed) are separate steps in \`timeline.json\`.`,
    '',
    table(['latest step', 'assets'], [...outcomes].sort().map(([k, v]) => [k, v])),
    '',
    '## Decisions',
    '',
    s.decisions.decisions.length === 0
      ? 'No decisions were recorded.'
      : table(['when', 'kind', 'ring', 'by', 'decision', 'reason', 'event'], s.decisions.decisions.map((d) => [d.at, d.kind, d.ring ?? '', d.by, d.decision ?? '', d.reason ?? '', d.eventId === null ? '' : `${d.workflowId}#${d.eventId}`])),
    '',
    '## Exceptions',
    '',
    s.exceptions.exclusions.length === 0
      ? 'No asset was excluded.'
      : table(['exception', 'kind', 'hosts', 'signed off', 'approved', 'expires / review'], s.exceptions.exceptions.map((e) => [e.id, e.kind, e.excludedHosts.join(', '), `${e.signedOffBy ?? ''} ${e.signedOffAt ?? ''}`, `${e.approvedBy ?? ''} ${e.approvedAt ?? ''}`, e.expiresAt ?? e.reviewAt ?? ''])),
    '',
    '## Files',
    '',
    '- `histories/` — the Temporal history of the cycle and of every ring and rollback child (one file per run): the evidence chain itself.',
    '- `timeline.json`, `timeline.csv` — per asset and patch: detected → planned → snapshot → deployed → verified | failed → rolled back, each step with the workflow id and event id it came from.',
    '- `decisions.json` — every approval, rejection, gate decision, timeout, incident and abort, with who, when and the event that carried it.',
    '- `exceptions.json` — the exceptions that kept assets out of this cycle.',
    '- `manifest.json`, `manifest.sig` — SHA-256 of every file, signed with the MSP key (Ed25519).',
    '',
    table(['history', 'workflow', 'run', 'events'], s.histories.map((h) => [h.file, h.workflowId, h.run, h.events])),
    '',
    '## Checking this bundle',
    '',
    '```sh',
    'patchctl evidence verify THIS_FOLDER --public-key msp.pub.pem   # hashes and signature',
    'patchctl evidence replay --bundle THIS_FOLDER                    # histories against the workflow code',
    '```',
    '',
  ];
  return lines.join('\n');
}
