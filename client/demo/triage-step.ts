import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { TriageStatus } from '../../domain/triage/triage';
import { TRIAGE_ENDED_STATES } from '../../domain/triage/triage';
import { parseTriageRef } from '../../domain/triage/triage-ids';
import { createPool } from '../../activities/store/pool';
import { triageStatusQuery } from '../../workflows/triage/messages';
import { listenForTriageAlerts } from '../cli/triage/webhook-listener';
import { failed } from '../errors';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signTriageWebhook } from '../web/triage-webhook';

/**
 * The demo's credential alert: exposure monitoring posts a signed webhook to a local listener, and
 * the triage runs to its end (ticket, forced password change, sessions revoked, owner told).
 */
export async function runTriageStep(options: { client: Client; taskQueue: string; databaseUrl: string; clientId: string; runId: string; log: (text: string) => void }): Promise<TriageStatus> {
  const secret = randomBytes(32).toString('hex');
  const db = createPool(options.databaseUrl, 1);
  const listener = await listenForTriageAlerts({ temporal: options.client, taskQueue: options.taskQueue, db, secret, knownClients: [options.clientId] });
  try {
    const body = JSON.stringify({
      clientId: options.clientId,
      user: `front-desk@${options.clientId}.demo`,
      kind: 'leaked-credential',
      alertId: `demo-${options.runId}`,
      summary: 'the account’s password appeared in a public credential dump',
    });
    const timestamp = Math.floor(Date.now() / 1000);
    const response = await fetch(listener.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: signTriageWebhook(secret, timestamp, body) },
      body,
    });
    const answer = (await response.json()) as { ref?: string; error?: string };
    if (response.status !== 202 || !answer.ref) throw failed(`the triage webhook answered ${response.status}: ${answer.error ?? JSON.stringify(answer)}`);
    options.log(`demo: credential alert posted to ${listener.url} (HMAC-signed) → triage ${answer.ref}`);
    const handle = options.client.workflow.getHandle(parseTriageRef(answer.ref)!.workflowId);
    for (let i = 0; i < 600; i++) {
      const status = await handle.query(triageStatusQuery);
      if (TRIAGE_ENDED_STATES.includes(status.state)) {
        options.log(`demo: triage ${answer.ref}: ${status.state} (${status.outcome}); ticket ${status.ticketId}; SLA ${status.slaMet ? 'met' : 'missed'}`);
        if (status.state !== 'completed') throw failed(`the demo triage ended ${status.state}: ${status.outcome}`, `see \`patchctl triage status ${answer.ref}\``);
        return status;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw failed(`the demo triage ${answer.ref} did not finish`, `see \`patchctl triage status ${answer.ref}\``);
  } finally {
    await listener.close();
    await db.end();
  }
}
