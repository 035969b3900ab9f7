import type { Command } from 'commander';
import { exceptionDecisionCommand } from '../decision-command';
import { commentOption } from '../fragments';
import { nextStep } from './exception-view';

export function exceptionApproveCommand(): Command {
  return exceptionDecisionCommand({
    name: 'approve',
    description: 'approve a signed-off exception for the MSP (only approvers named in policy; never the requester); it becomes active',
    role: 'an exception approver',
    signs: 'the approval',
    json: 'print {"ref","approvedBy","status","expiresAt","reviewAt","next"} as one JSON document',
    options: { comment: commentOption('approval') },
    decision: (o) => ({ kind: 'exception-approve', by: o.as, comment: o.comment }),
    print: (ref, o, { status }) => {
      const next = nextStep(ref, status);
      return {
        json: { ref, approvedBy: o.as, status: status.status, expiresAt: status.expiresAt ?? null, reviewAt: status.reviewAt ?? null, next },
        text: `approved: ${ref} by ${o.as}\n${next}`,
      };
    },
  });
}
