import type { ActivityDeps } from '../deps';
import { slaBreaches } from '../store/report-store';

// The daily SLA alert: every asset whose deadline passed without verification, per client, mailed to
// the MSP's escalation list. The message id is per (client, day), so a retried send is the same mail.

export interface SlaAlertResult {
  clientId: string;
  breaches: number;
  mailed: boolean;
}

export async function alertSlaBreaches(deps: ActivityDeps, input: { clientId: string; at: string }): Promise<SlaAlertResult> {
  const at = new Date(input.at);
  const { total, breaches } = await slaBreaches(deps.db, input.clientId, at, deps.policy.sla);
  const to = deps.policy.msp.escalation;
  if (total === 0 || to.length === 0) return { clientId: input.clientId, breaches: total, mailed: false };
  const day = input.at.slice(0, 10);
  const lines = breaches.map((b) => `  ${b.hostname}  ${b.patchId} (${b.severity}, ${b.assetClass})  state ${b.state}  deadline ${b.deadline.toISOString()}`);
  await deps.mailer.send({
    messageId: `sla-alert/${input.clientId}/${day}@patchctl`,
    to,
    subject: `${input.clientId}: ${total} patch deadline${total === 1 ? '' : 's'} passed without verification (${day})`,
    text: [
      `${total} asset/patch pair${total === 1 ? '' : 's'} of ${input.clientId} passed the SLA deadline without verification as of ${input.at}.`,
      'Excepted assets are not listed. Each needs a deployment with verification, or an exception with sign-off and expiry.',
      '',
      ...lines,
      ...(total > breaches.length ? [`  … and ${total - breaches.length} more (patchctl report monthly lists them all)`] : []),
    ].join('\n'),
  });
  return { clientId: input.clientId, breaches: total, mailed: true };
}
