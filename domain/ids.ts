import type { RingName } from '../config/policy-schema';

// Business ids are derived, never random, so a retried start is the same workflow and an auditor can
// find a cycle's children from its id alone.

const CYCLE_PREFIX = 'cycle/';
const NAME = /^[a-z0-9][a-z0-9.-]{0,62}$/;

export function cycleWorkflowId(clientId: string, cycleName: string): string {
  return `${CYCLE_PREFIX}${clientId}/${cycleName}`;
}

/** A cycle name from the time it was requested and what it patches, e.g. `20261129-0300-critical`. */
export function cycleNameFor(requestedAt: Date, scope: string): string {
  const iso = requestedAt.toISOString();
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}`;
  return `${stamp}-${scope.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').slice(0, 40)}`;
}

export function isValidCycleName(name: string): boolean {
  return NAME.test(name);
}

/** Accepts `cycle/<client>/<name>` or `<client>/<name>`; undefined when it is neither. */
export function parseCycleRef(ref: string): { workflowId: string; clientId: string; cycleName: string } | undefined {
  const bare = ref.startsWith(CYCLE_PREFIX) ? ref.slice(CYCLE_PREFIX.length) : ref;
  const parts = bare.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1] || !isValidCycleName(parts[1]) || !NAME.test(parts[0])) return undefined;
  return { workflowId: cycleWorkflowId(parts[0], parts[1]), clientId: parts[0], cycleName: parts[1] };
}

export function ringWorkflowId(cycleId: string, ring: RingName, attempt = 1): string {
  return attempt === 1 ? `${cycleId}/ring/${ring}` : `${cycleId}/ring/${ring}/attempt-${attempt}`;
}

/** The rest of a ring attempt that stopped (breaker, vendor outage), resumed after a person decided. */
export function ringResumeWorkflowId(cycleId: string, ring: RingName, attempt: number, resumption: number): string {
  return `${ringWorkflowId(cycleId, ring, attempt)}/resumed-${resumption}`;
}

export function ringRollbackWorkflowId(cycleId: string, ring: RingName): string {
  return `${cycleId}/ring/${ring}/rollback`;
}

export function exceptionWorkflowId(clientId: string, exceptionId: string): string {
  return `exception/${clientId}/${exceptionId}`;
}

/**
 * The one exception id format: `<client>-<YYYYMMDD>-<tag>`, readable (whose, which day) with a
 * 7-character base-36 tag. The tag is a keyed hash of what the exception covers (client/ids.ts), never
 * a plain hash of hostnames: an id travels in workflow ids, mails and tickets, in clear text.
 */
export function exceptionIdFrom(clientId: string, requestedAt: Date, tag: string): string {
  if (!/^[0-9a-z]{7}$/.test(tag)) throw new Error(`exception id tag must be 7 base-36 characters, got "${tag}"`);
  const day = requestedAt.toISOString().slice(0, 10).replace(/-/g, '');
  return `${clientId}-${day}-${tag}`;
}

/** Accepts `exception/<client>/<id>` or `<client>/<id>`. */
export function parseExceptionRef(ref: string): { workflowId: string; clientId: string; exceptionId: string } | undefined {
  const bare = ref.startsWith('exception/') ? ref.slice('exception/'.length) : ref;
  const parts = bare.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { workflowId: exceptionWorkflowId(parts[0], parts[1]), clientId: parts[0], exceptionId: parts[1] };
}

/** Key that makes a vendor call idempotent: the same deployment submitted twice runs once. */
export function deploymentKey(cycleId: string, ring: RingName, hostname: string, patchId: string): string {
  return `${cycleId}|${ring}|${hostname}|${patchId}`;
}
