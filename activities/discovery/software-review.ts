import type { ActivityDeps } from '../deps';
import { sendNotice } from '../shared/send-notice';
import { clientSoftware, loadSoftwareList } from '../store/software-store';

// The quarterly reminder to review the MSP's software list: what each client runs that the list does
// not know yet, and what is listed unsupported, so the lead reviews with the figures in front of them.

export async function remindSoftwareListReview(deps: ActivityDeps, input: { at: string }): Promise<{ mailed: boolean; to: string[] }> {
  const to = deps.policy.msp.softwareList?.reviewers.length ? deps.policy.msp.softwareList.reviewers : deps.policy.msp.escalation;
  const list = await loadSoftwareList(deps.db);
  const lines: string[] = [];
  for (const client of deps.policy.clients) {
    const software = await clientSoftware(deps.db, client.id, new Date(input.at), list);
    const unknown = software.filter((s) => s.status === 'unknown').length;
    const unsupported = software.filter((s) => s.status === 'unsupported').length;
    lines.push(`  ${client.id}: ${software.length} applications, ${unsupported} unsupported, ${unknown} not on the list`);
  }
  const quarter = `${input.at.slice(0, 4)}-Q${Math.floor((Number(input.at.slice(5, 7)) - 1) / 3) + 1}`;
  await sendNotice(deps, {
    messageId: `<software-list-review.${quarter}@patchctl>`,
    to,
    subject: `[patchctl] Quarterly review of the supported-software list (${quarter})`,
    text: [
      `The list has ${list.length} entries${deps.policy.msp.softwareList ? ` (${deps.policy.msp.softwareList.file})` : ''}. Review each unsupported entry's remediation path and classify what is not on the list.`,
      '',
      ...lines,
      '',
      'Per client: patchctl inventory software --client ID',
    ].join('\n'),
  });
  return { mailed: to.length > 0, to };
}
