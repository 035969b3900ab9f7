import { Command } from 'commander';
import { z } from 'zod';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { listAssets, UnknownClientError } from '../../activities/store/inventory-store';
import { migrateUp } from '../../activities/store/migrate';
import { createPool } from '../../activities/store/pool';
import type { InputProblem } from '../../config/problems';
import {
  CONTROL_CATEGORIES,
  exceptionRequestProblems,
  exceptionRulesFor,
  type CompensatingControl,
  type ExceptionRequest,
  type ExceptionStatus,
} from '../../domain/exception';
import { exceptionIdFor, exceptionWorkflowId } from '../../domain/ids';
import { patchException } from '../../workflows/exception/patch-exception';
import { actor } from '../cycle-target';
import { badInput, notFound } from '../errors';
import { DATE_HELP, dateOption, exceptionEnd, loadPolicy, nextStep, settledStatus } from '../exception-target';
import { parseOptions } from '../options';
import { info, printJson } from '../output';
import { resolveDatabaseUrl, resolveTemporalTarget } from '../stack';
import { withClient } from '../temporal-connection';

const control = z.string().transform((text, ctx): CompensatingControl => {
  const at = text.indexOf(':');
  const category = (at < 0 ? text : text.slice(0, at)).trim();
  const description = at < 0 ? '' : text.slice(at + 1).trim();
  if (!(CONTROL_CATEGORIES as readonly string[]).includes(category) || !description) {
    ctx.addIssue({ code: 'custom', message: `each must be CATEGORY:TEXT with CATEGORY one of ${CONTROL_CATEGORIES.join(', ')}, e.g. "segmentation:VLAN 99 only"` });
    return z.NEVER;
  }
  return { category: category as CompensatingControl['category'], description };
});

const options = z
  .object({
    client: z.string().regex(/^[a-z0-9][a-z0-9-]{1,40}$/, 'must be a client id from the policy'),
    host: z.array(z.string().trim().min(1, 'must not be empty')).min(1, 'must name at least one asset'),
    patch: z.array(z.string().trim().min(1, 'must not be empty')).optional(),
    reason: z.string().trim().min(3, 'must say why (at least 3 characters)').max(1000),
    expires: dateOption().optional(),
    lane: z.boolean().optional(),
    review: dateOption().optional(),
    control: z.array(control).optional(),
    clientApproval: z.string().trim().min(1).max(200).optional(),
    ticket: z.string().trim().min(1).max(100).optional(),
    as: z.string().min(1).optional(),
    json: z.boolean().optional(),
  })
  .superRefine((o, ctx) => {
    if (o.lane && o.expires) ctx.addIssue({ code: 'custom', path: ['expires'], message: 'an isolated lane has a review date (--review), not an expiry' });
    if (!o.lane && o.review) ctx.addIssue({ code: 'custom', path: ['review'], message: 'only an isolated lane (--lane) has a review date; a deferral takes --expires' });
    if (!o.lane && o.clientApproval) ctx.addIssue({ code: 'custom', path: ['clientApproval'], message: 'only an isolated lane (--lane) takes a client approval reference' });
  });

/** The request's fields, as the options the user typed. */
const FLAG_FOR_FIELD: Record<string, string> = {
  hostnames: '--host',
  reason: '--reason',
  expiresAt: '--expires',
  reviewAt: '--review',
  controls: '--control',
  clientApprovalRef: '--client-approval',
};

function flagFor(field: string): string {
  return FLAG_FOR_FIELD[field.replace(/\[.*$/, '')] ?? field;
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

export function exceptionRequestCommand(): Command {
  return new Command('request')
    .description('request a patch exception: a deferral with a hard expiry, or (--lane) an isolated lane with compensating controls and a review date')
    .requiredOption('--client <id>', 'client id from the policy')
    .requiredOption('--host <hostname...>', 'asset(s) the exception covers (repeat or list several)')
    .option('--patch <id...>', 'only these patches (default: every patch on those assets)')
    .requiredOption('--reason <text>', 'why the patch cannot be applied now')
    .option('--expires <date>', `deferral: hard expiry, ${DATE_HELP}`)
    .option('--lane', 'isolated lane: the assets cannot be patched at all (needs --review, --control, --client-approval)')
    .option('--review <date>', `isolated lane: next review, ${DATE_HELP}`)
    .option('--control <category:text...>', `compensating control, e.g. "segmentation:VLAN 99 only"; categories: ${CONTROL_CATEGORIES.join(', ')}`)
    .option('--client-approval <ref>', "isolated lane: the client's written approval (document or ticket reference)")
    .option('--ticket <id>', 'link this existing PSA ticket instead of opening one')
    .option('--as <who>', 'who requests it (default: PATCHCTL_USER or your login); may not approve it later')
    .option('--json', 'print {"ref","exceptionId","status","ticketId","pending","next"} as one JSON document')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const { policy, file } = loadPolicy();
      const client = policy.clients.find((c) => c.id === opts.client);
      if (!client) throw notFound(`client "${opts.client}" is not in ${file}`, `known clients: ${policy.clients.map((c) => c.id).join(', ')}`);

      const requestedAt = new Date();
      const hostnames = [...new Set(opts.host)];
      const patchIds = [...new Set(opts.patch ?? [])];
      const exceptionId = exceptionIdFor(opts.client, requestedAt, hostnames, patchIds);
      const request: ExceptionRequest = {
        exceptionId,
        clientId: opts.client,
        kind: opts.lane ? 'isolated-lane' : 'deferral',
        hostnames,
        patchIds,
        reason: opts.reason,
        requestedBy: actor(opts.as),
        ticketId: opts.ticket,
        expiresAt: opts.expires,
        reviewAt: opts.review,
        controls: opts.control ?? [],
        clientApprovalRef: opts.clientApproval,
      };
      // The workflow checks the same rules; checking here first names the option and starts nothing.
      const problems: InputProblem[] = exceptionRequestProblems(request, exceptionRulesFor(policy, client.owner), requestedAt.getTime()).map((p) => ({
        path: flagFor(p.field),
        message: p.message,
      }));
      if (problems.length > 0) {
        throw badInput(problems.length === 1 ? 'invalid exception request' : 'invalid exception request (several problems)', 'run `patchctl exception request --help` for the accepted values', problems);
      }
      const unknown = await unknownHosts(opts.client, hostnames);
      if (unknown.length > 0) {
        throw notFound(
          `${unknown.length === 1 ? 'host' : 'hosts'} not in the inventory of ${opts.client}: ${unknown.join(', ')}`,
          `check the names with \`patchctl inventory list --client ${opts.client}\``,
        );
      }

      const ref = `${opts.client}/${exceptionId}`;
      const workflowId = exceptionWorkflowId(opts.client, exceptionId);
      const target = resolveTemporalTarget();
      const status: ExceptionStatus = await withClient(target, async (temporal) => {
        let handle;
        try {
          handle = await temporal.workflow.start(patchException, { taskQueue: target.taskQueue, workflowId, args: [request] });
        } catch (error) {
          if (error instanceof WorkflowExecutionAlreadyStartedError) {
            throw badInput(`the same exception was already requested today and is still open: ${ref}`, `see it with \`patchctl exception show ${ref}\``);
          }
          throw error;
        }
        // The ticket is the workflow's first step; once it is there, the sign-off is pending.
        return settledStatus(handle, (s) => s.pending !== undefined);
      });
      if (status.status === 'rejected') throw badInput(`exception ${ref} was rejected: ${status.statusReason ?? 'see `patchctl exception show`'}`);

      const next = nextStep(ref, status);
      if (opts.json) {
        printJson({ ref, exceptionId, workflowId, clientId: opts.client, kind: request.kind, status: status.status, hostnames, patchIds, ticketId: status.ticketId ?? null, expiresAt: status.expiresAt ?? null, reviewAt: status.reviewAt ?? null, requestedBy: request.requestedBy, pending: status.pending ?? null, next });
        return;
      }
      const scope = patchIds.length > 0 ? patchIds.join(', ') : 'every patch';
      const until = request.kind === 'deferral' ? `expires ${exceptionEnd(request)}` : `review ${exceptionEnd(request)}`;
      info(`requested: ${ref} — ${request.kind} of ${scope} on ${hostnames.join(', ')}, ${until}`);
      info(`ticket: ${status.ticketId ?? '(not opened yet)'}`);
      info(next);
    });
}
