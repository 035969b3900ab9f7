import type { Command } from 'commander';
import { exceptionDecisionCommand } from '../decision-command';
import { commentOption } from '../fragments';
import { nextStep } from './exception-view';

export function exceptionSignoffCommand(): Command {
  return exceptionDecisionCommand({
    name: 'signoff',
    description: "sign off an exception as the client's owner (the first of its two approvals)",
    role: 'the client owner',
    signs: 'the sign-off',
    json: 'print {"ref","signedOffBy","status","pending","next"} as one JSON document',
    options: { comment: commentOption('sign-off') },
    decision: (o) => ({ kind: 'exception-signoff', by: o.as, comment: o.comment }),
    print: (ref, o, { status }) => {
      const next = nextStep(ref, status);
      return { json: { ref, signedOffBy: o.as, status: status.status, pending: status.pending ?? null, next }, text: `signed off: ${ref} by ${o.as}\n${next}` };
    },
  });
}
