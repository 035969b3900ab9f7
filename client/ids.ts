import { createHmac } from 'node:crypto';
import { join, resolve } from 'node:path';
import { readSecretFile, SecretFileError } from '../activities/codec/secret-file';
import { exceptionIdFrom, parseCycleRef, parseExceptionRef } from '../domain/ids';
import { badInput } from './errors';

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

export const ID_SECRET_FILE_VARIABLE = 'PATCHCTL_ID_SECRET_FILE';

/**
 * The per-installation secret exception ids are keyed with: PATCHCTL_ID_SECRET_FILE (a 0600 file
 * every CLI of the installation shares), else .patchctl/id-secret, created 0600 when missing (the
 * dev stack and the demo get one that way).
 */
export function exceptionIdSecret(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const named = env[ID_SECRET_FILE_VARIABLE];
  const file = named ? resolve(cwd, named) : join(env.PATCHCTL_HOME ? resolve(cwd, env.PATCHCTL_HOME) : join(cwd, '.patchctl'), 'id-secret');
  try {
    return readSecretFile(file, { create: !named, what: named ? ID_SECRET_FILE_VARIABLE : 'exception id secret' }).secret;
  } catch (err) {
    if (err instanceof SecretFileError) throw badInput(err.message, err.fix);
    throw err;
  }
}

/**
 * An exception id from what it covers and when it was asked for: the same request twice (same
 * installation secret) is one exception. HMAC-SHA256 keyed with the installation secret, so nobody
 * holding a list of hostnames can tell which assets an id covers.
 */
export function exceptionIdFor(clientId: string, requestedAt: Date, hostnames: readonly string[], patchIds: readonly string[], secret: string): string {
  const day = requestedAt.toISOString().slice(0, 10);
  const mac = createHmac('sha256', secret).update(JSON.stringify(['patchctl/exception-id/v1', clientId, day, [...hostnames].sort(), [...patchIds].sort()])).digest();
  const tag = BigInt(`0x${mac.subarray(0, 8).toString('hex')}`).toString(36).padStart(7, '0').slice(-7);
  return exceptionIdFrom(clientId, requestedAt, tag);
}
