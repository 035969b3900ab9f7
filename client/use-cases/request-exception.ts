import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { listAssets, UnknownClientError } from '../../activities/store/inventory-store';
import { migrateUp } from '../../activities/store/migrate';
import { createPool } from '../../activities/store/pool';
import type { InputProblem } from '../../config/problems';
import { exceptionRequestFacts, exceptionRequestProblems, exceptionRulesFor, type ExceptionRequest, type ExceptionStatus } from '../../domain/exception/exception';
import { exceptionWorkflowId } from '../../domain/ids';
import { exceptionIdFor, exceptionIdSecret } from '../ids';
import { resolveDatabaseUrl } from '../connection/stack';
import { resolveTemporalTarget, withClient } from '../connection/temporal-connection';
import { badInput, notAllowed, notFound } from '../errors';
import { signingKeyFile, signWithKeyFile } from './approval-signing';
import { patchException } from '../../workflows/exception/patch-exception';
import { actor, requester } from './cycle-target';
import { settledStatus } from './exception-target';
import { loadPolicy } from './policy';

export type ExceptionAsk = Omit<ExceptionRequest, 'exceptionId' | 'requestedBy' | 'signature'> & { requestedBy?: string };

export interface RequestedException {
  /** The printed id, CLIENT/ID. */
  ref: string;
  workflowId: string;
  request: ExceptionRequest;
  status: ExceptionStatus;
}

/** Hosts not in the client's inventory: an exception for an asset nobody manages protects nothing. */
async function unknownHosts(clientId: string, hostnames: readonly string[]): Promise<string[]> {
  const databaseUrl = resolveDatabaseUrl();
  await migrateUp(databaseUrl);
  const db = createPool(databaseUrl, 1);
  try {
    const known = new Set((await listAssets(db, { clientId })).map((a) => a.hostname));
    return hostnames.filter((h) => !known.has(h));
  } catch (error) {
    if (error instanceof UnknownClientError) throw notFound(error.message, 'import its inventory with `patchctl inventory import FILE --client ID` first');
    throw error;
  } finally {
    await db.end();
  }
}

/**
 * Checks an exception request against the policy and the inventory, starts its workflow and answers
 * once the ticket is open and the sign-off pending. `label` names a request field the way the
 * caller's user typed it (a CLI flag, a form field). Start-then-poll: no update of the exception
 * workflow answers with its first step, so update-with-start has nothing to ask for yet.
 */
export async function requestException(ask: ExceptionAsk, label: (field: string) => string = (f) => f, key?: string): Promise<RequestedException> {
  const { policy, file } = loadPolicy();
  const client = policy.clients.find((c) => c.id === ask.clientId);
  if (!client) throw notFound(`client "${ask.clientId}" is not in ${file}`, `known clients: ${policy.clients.map((c) => c.id).join(', ')}`);

  const requestedAt = new Date();
  const hostnames = [...new Set(ask.hostnames)];
  const patchIds = [...new Set(ask.patchIds)];
  const exceptionId = exceptionIdFor(ask.clientId, requestedAt, hostnames, patchIds, exceptionIdSecret());
  const request: ExceptionRequest = { ...ask, exceptionId, hostnames, patchIds, requestedBy: actor(ask.requestedBy) };
  // The workflow checks the same rules; checking here first names the field and starts nothing.
  const problems: InputProblem[] = exceptionRequestProblems(request, exceptionRulesFor(policy, client.owner), requestedAt.getTime()).map((p) => ({
    path: label(p.field),
    message: p.message,
  }));
  if (problems.length > 0) {
    throw badInput(problems.length === 1 ? 'invalid exception request' : 'invalid exception request (several problems)', 'run `patchctl exception request --help` for the accepted values', problems);
  }
  const unknown = await unknownHosts(ask.clientId, hostnames);
  if (unknown.length > 0) {
    throw notFound(
      `${unknown.length === 1 ? 'host' : 'hosts'} not in the inventory of ${ask.clientId}: ${unknown.join(', ')}`,
      `check the names with \`patchctl inventory list --client ${ask.clientId}\``,
    );
  }

  // Checked after the fields, so a malformed request is named as such first.
  requester(policy, request.requestedBy);
  const ref = `${ask.clientId}/${exceptionId}`;
  const workflowId = exceptionWorkflowId(ask.clientId, exceptionId);
  const keyFile = signingKeyFile(key);
  if (!keyFile && policy.signing.requireSignedApprovals) {
    throw notAllowed(`policy ${file} requires signed decisions and this exception request is unsigned`, 'sign it as yourself: --key YOUR.key.pem (or PATCHCTL_SIGNING_KEY_FILE)');
  }
  if (keyFile) request.signature = signWithKeyFile(keyFile, exceptionRequestFacts(workflowId, request));
  const target = resolveTemporalTarget();
  const status = await withClient(target, async (temporal) => {
    let handle;
    try {
      // An exception id is used once: old signatures never meet a new exception under the same id.
      handle = await temporal.workflow.start(patchException, { taskQueue: target.taskQueue, workflowId, workflowIdReusePolicy: 'REJECT_DUPLICATE', args: [request] });
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) {
        throw notAllowed(`exception ${ref} already exists (open or closed); an exception id is used once`, `see it with \`patchctl exception show ${ref}\``);
      }
      throw error;
    }
    // The ticket is the workflow's first step; once it is there, the sign-off is pending.
    return settledStatus(handle, (s) => s.pending !== undefined);
  });
  if (status.status === 'rejected') throw badInput(`exception ${ref} was rejected: ${status.statusReason ?? 'see `patchctl exception show`'}`);
  return { ref, workflowId, request, status };
}
