import type { RingName } from '../../config/policy-schema';
import { noticeDue, patchingNotice, patchingNoticeMessageId, ringAboutToBePatched } from '../../domain/cycle/patching-notice';
import type { ActivityDeps } from '../deps';
import { countMetric } from '../shared/activity-metrics';
import { patchingNoticeSent, recordPatchingNoticeAttempt, ringsOfOpenCycles } from '../store/patching-notice-store';

// The sweep behind the `patching-notices` Schedule. It reads the store only, never a cycle workflow, so
// a notice can neither hold a rollout up nor be lost with one: a send that fails is recorded with its
// error, this sweep goes on with the next client, and the next sweep tries it again.

export interface PatchingNoticeSent {
  cycleId: string;
  ring: RingName;
  to: string[];
  windowOpensAt: string;
  assets: number;
}

export interface PatchingNoticeSweep {
  at: string;
  sent: PatchingNoticeSent[];
  failed: { cycleId: string; ring: RingName; error: string }[];
}

export async function sendPatchingNotices(deps: ActivityDeps, input: { at: string }): Promise<PatchingNoticeSweep> {
  const at = new Date(input.at);
  const policy = deps.currentPolicy?.() ?? deps.policy;
  const clients = new Map(policy.clients.filter((c) => c.notices?.beforePatching).map((c) => [c.id, c]));
  const result: PatchingNoticeSweep = { at: input.at, sent: [], failed: [] };
  if (clients.size === 0) return result;

  const byCycle = new Map<string, Awaited<ReturnType<typeof ringsOfOpenCycles>>>();
  for (const row of await ringsOfOpenCycles(deps.db, [...clients.keys()])) byCycle.set(row.cycleId, [...(byCycle.get(row.cycleId) ?? []), row]);

  for (const rings of byCycle.values()) {
    const next = ringAboutToBePatched(rings);
    if (!next) continue;
    const { cycleId, clientId, cycleName, patchIds } = rings[0]!;
    const client = clients.get(clientId)!;
    const { contact, hoursBefore } = client.notices!.beforePatching!;
    const window = noticeDue(at, client.maintenanceWindows, client.timezone, hoursBefore);
    if (!window.due || (await patchingNoticeSent(deps.db, cycleId, next.ring))) continue;
    const notice = patchingNotice({
      cycleId, cycleName, patchIds, ring: next.ring, clientName: client.name, timeZone: client.timezone, contact,
      hostnames: next.hostnames, opensAt: window.opensAt, closesAt: window.closesAt, replyTo: policy.msp.escalation[0],
    });
    const record = { cycleId, ring: next.ring, clientId, contact, windowOpensAt: window.opensAt.toISOString(), assets: next.pending, messageId: patchingNoticeMessageId(cycleId, next.ring) };
    try {
      await deps.mailer.send(notice);
    } catch (error) {
      const message = (error as Error).message;
      await recordPatchingNoticeAttempt(deps.db, record, at, message);
      result.failed.push({ cycleId, ring: next.ring, error: message });
      continue;
    }
    await recordPatchingNoticeAttempt(deps.db, record, at, null);
    result.sent.push({ cycleId, ring: next.ring, to: notice.to, windowOpensAt: record.windowOpensAt, assets: next.pending });
  }
  const what = 'notices to client contacts before patching';
  countMetric('patchctl_patching_notices', what, result.sent.length, { result: 'sent' });
  countMetric('patchctl_patching_notices', what, result.failed.length, { result: 'failed' });
  return result;
}
