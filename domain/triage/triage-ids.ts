import { stableHash } from '../stable-hash';

// Triage ids are derived from the alert, never random: the same alert delivered twice (a webhook
// retry, an engineer re-running the command) finds the triage already running.

const PREFIX = 'triage/';

export function triageWorkflowId(clientId: string, triageId: string): string {
  return `${PREFIX}${clientId}/${triageId}`;
}

/** `<yyyymmdd>-<hash>`: by the vendor's alert id when there is one, else by account, kind and day. */
export function triageIdFor(alert: { clientId: string; user: string; kind: string; alertId?: string }, receivedAt: Date): string {
  const day = receivedAt.toISOString().slice(0, 10).replace(/-/g, '');
  const basis = alert.alertId ? `${alert.clientId}|alert|${alert.alertId}` : `${alert.clientId}|${alert.user.toLowerCase()}|${alert.kind}|${day}`;
  return `${day}-${stableHash(basis).toString(36).padStart(7, '0').slice(0, 7)}`;
}

/** Accepts `triage/<client>/<id>` or `<client>/<id>`. */
export function parseTriageRef(ref: string): { workflowId: string; clientId: string; triageId: string } | undefined {
  const bare = ref.startsWith(PREFIX) ? ref.slice(PREFIX.length) : ref;
  const parts = bare.split('/');
  if (parts.length !== 2 || !/^[a-z0-9][a-z0-9-]{1,40}$/.test(parts[0] ?? '') || !/^\d{8}-[a-z0-9]{1,7}$/.test(parts[1] ?? '')) return undefined;
  return { workflowId: triageWorkflowId(parts[0]!, parts[1]!), clientId: parts[0]!, triageId: parts[1]! };
}
