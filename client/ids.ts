import { parseCycleRef, parseExceptionRef } from '../domain/ids';

export type ShownKind = 'cycle' | 'exception' | 'workflow';

/**
 * The one form patchctl prints ids in: `CLIENT/NAME` for a cycle, `CLIENT/ID` for an exception
 * (what users type; commands also accept the full workflow id). Other workflow ids (ring children)
 * are printed as they are. JSON documents carry the full id separately as `workflowId`.
 */
export function shownId(workflowId: string): { kind: ShownKind; id: string } {
  if (workflowId.startsWith('exception/')) {
    const parsed = parseExceptionRef(workflowId);
    if (parsed) return { kind: 'exception', id: `${parsed.clientId}/${parsed.exceptionId}` };
  }
  if (workflowId.startsWith('cycle/') && !workflowId.includes('/ring/')) {
    const parsed = parseCycleRef(workflowId);
    if (parsed) return { kind: 'cycle', id: `${parsed.clientId}/${parsed.cycleName}` };
  }
  return { kind: 'workflow', id: workflowId };
}

/** A cycle's printed id, from its workflow id or its printed id. */
export function shownCycleId(ref: string): string {
  const parsed = parseCycleRef(ref);
  return parsed ? `${parsed.clientId}/${parsed.cycleName}` : ref;
}
