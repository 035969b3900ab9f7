import { userInfo, hostname } from 'node:os';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { PatchPolicy } from '../../config/policy-schema';
import { requesterProblem } from '../../domain/decision-authority';
import { knownPeople, personId } from '../../domain/identity';
import { parseCycleRef } from '../../domain/ids';
import { resolveTemporalTarget, withClient } from '../connection/temporal-connection';
import { badInput, notAllowed } from '../errors';

/** A cycle id as users type it (`clinic/20261129-0300-critical` or `cycle/clinic/...`) → its workflow id. */
export function cycleWorkflowIdFrom(ref: string): string {
  const parsed = parseCycleRef(ref);
  if (!parsed) throw badInput(`"${ref}" is not a cycle id`, 'cycle ids look like CLIENT/NAME, e.g. acme-dental/20261129-0300-critical; see `patchctl cycle list`');
  return parsed.workflowId;
}

/** Who is acting: the name given, else PATCHCTL_USER, else the login user on this host; normalised. */
export function actor(as: string | undefined): string {
  return personId(as ?? process.env.PATCHCTL_USER ?? `${userInfo().username}@${hostname()}`);
}

/**
 * The requester of a cycle or exception, refused before anything starts when the policy does not
 * know them (the workflow refuses too; this names the fix).
 */
export function requester(policy: PatchPolicy, person: string): string {
  const problem = requesterProblem({ known: [...knownPeople(policy)] }, person);
  if (problem) throw notAllowed(problem, 'name yourself with --as (or PATCHCTL_USER) as the e-mail the policy gives you a role or key under');
  return personId(person);
}

export async function withCycle<T>(ref: string, fn: (handle: WorkflowHandle, client: Client) => Promise<T>): Promise<T> {
  const workflowId = cycleWorkflowIdFrom(ref);
  return withClient(resolveTemporalTarget(), (client) => fn(client.workflow.getHandle(workflowId), client));
}
