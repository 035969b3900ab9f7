import type { Command } from 'commander';
import type { CompensatingControl } from '../../../domain/exception/exception';
import { defineCommand } from '../define-command';
import { actorOption, clientOption, jsonOption, keyOption, reasonOption } from '../fragments';
import { option } from '../option-spec';
import { info, printJson } from '../output';
import { dateOption } from './date-option';
import { exceptionEnd, nextStep } from './exception-view';

// Kept beside the flag help; the domain's CONTROL_CATEGORIES decides what is accepted.
const CONTROL_HELP = 'segmentation, restricted-access, extra-monitoring, other';

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

export function exceptionRequestCommand(): Command {
  return defineCommand({
    name: 'request',
    description: 'request a patch exception: a deferral with a hard expiry, or (--lane) an isolated lane with compensating controls and a review date',
    options: {
      client: clientOption(),
      host: option('--host <hostname...>', 'asset(s) the exception covers (repeat or list several)', ({ z }) => z.array(z.string().trim().min(1, 'must not be empty')).min(1, 'must name at least one asset'), { required: true }),
      patch: option('--patch <id...>', 'only these patches (default: every patch on those assets)', ({ z }) => z.array(z.string().trim().min(1, 'must not be empty'))),
      reason: reasonOption('why the patch cannot be applied now'),
      expires: dateOption('--expires <date>', 'deferral: hard expiry'),
      lane: option('--lane', 'isolated lane: the assets cannot be patched at all (needs --review, --control, --client-approval)', ({ z }) => z.boolean()),
      review: dateOption('--review <date>', 'isolated lane: next review'),
      control: option('--control <category:text...>', `compensating control, e.g. "segmentation:VLAN 99 only"; categories: ${CONTROL_HELP}`, ({ z }) =>
        z.array(
          z.string().transform(async (text, ctx): Promise<CompensatingControl> => {
            const { CONTROL_CATEGORIES } = (await import('../../../domain/exception/exception.js'));
            const at = text.indexOf(':');
            const category = (at < 0 ? text : text.slice(0, at)).trim();
            const description = at < 0 ? '' : text.slice(at + 1).trim();
            if (!(CONTROL_CATEGORIES as readonly string[]).includes(category) || !description) {
              ctx.addIssue({ code: 'custom', message: `each must be CATEGORY:TEXT with CATEGORY one of ${CONTROL_CATEGORIES.join(', ')}, e.g. "segmentation:VLAN 99 only"` });
              return z.NEVER;
            }
            return { category: category as CompensatingControl['category'], description };
          }),
        ),
      ),
      clientApproval: option('--client-approval <ref>', "isolated lane: the client's written approval (document or ticket reference)", ({ z }) => z.string().trim().min(1).max(200)),
      ticket: option('--ticket <id>', 'link this existing PSA ticket instead of opening one', ({ z }) => z.string().trim().min(1).max(100)),
      as: actorOption('who requests it (a person the policy knows); may not approve it later'),
      key: keyOption('the request, as the requester'),
      json: jsonOption('print {"ref","exceptionId","status","ticketId","pending","next"} as one JSON document'),
    },
    check: (o) => [
      ...(o.lane && o.expires ? [{ key: 'expires', message: 'an isolated lane has a review date (--review), not an expiry' }] : []),
      ...(!o.lane && o.review ? [{ key: 'review', message: 'only an isolated lane (--lane) has a review date; a deferral takes --expires' }] : []),
      ...(!o.lane && o.clientApproval ? [{ key: 'clientApproval', message: 'only an isolated lane (--lane) takes a client approval reference' }] : []),
    ],
    run: async (opts) => {
      const { requestException } = (await import('../../use-cases/request-exception.js'));
      const { ref, workflowId, request, status } = await requestException(
        {
          clientId: opts.client,
          kind: opts.lane ? 'isolated-lane' : 'deferral',
          hostnames: opts.host,
          patchIds: opts.patch ?? [],
          reason: opts.reason,
          requestedBy: opts.as,
          ticketId: opts.ticket,
          expiresAt: opts.expires,
          reviewAt: opts.review,
          controls: opts.control ?? [],
          clientApprovalRef: opts.clientApproval,
        },
        flagFor,
        opts.key,
      );
      const next = nextStep(ref, status);
      const { exceptionId, hostnames, patchIds } = request;
      if (opts.json) {
        printJson({ ref, exceptionId, workflowId, clientId: opts.client, kind: request.kind, status: status.status, hostnames, patchIds, ticketId: status.ticketId ?? null, expiresAt: status.expiresAt ?? null, reviewAt: status.reviewAt ?? null, requestedBy: request.requestedBy, pending: status.pending ?? null, next });
        return;
      }
      const scope = patchIds.length > 0 ? patchIds.join(', ') : 'every patch';
      const until = request.kind === 'deferral' ? `expires ${exceptionEnd(request)}` : `review ${exceptionEnd(request)}`;
      info(`requested: ${ref} — ${request.kind} of ${scope} on ${hostnames.join(', ')}, ${until}`);
      info(`ticket: ${status.ticketId ?? '(not opened yet)'}`);
      info(next);
    },
  });
}
