import type { Command } from 'commander';
import { cycleDecisionCommand } from '../decision-command';
import { commentOption, PROMOTION_RING_HELP } from '../fragments';
import { option } from '../option-spec';

export function cycleApproveCommand(): Command {
  return cycleDecisionCommand({
    name: 'approve',
    description: 'approve the promotion of a cycle to the next ring, once `cycle status` shows it pending (only approvers named in policy; never the requester)',
    role: 'an approver',
    signs: 'the approval',
    json: 'print {"cycleId","accepted","ring","next"} as one JSON document',
    options: {
      ring: option('--ring <ring>', `ring to promote to: ${PROMOTION_RING_HELP}`, ({ z, policy }) => z.enum(policy.RINGS.filter((r) => r !== 'canary') as ['pilot', 'production']), { required: true }),
      comment: commentOption('approval'),
    },
    decision: (o) => ({ kind: 'approve-ring', ring: o.ring, by: o.as, comment: o.comment }),
    print: (id, _o, r) => ({ json: { cycleId: id, ...r }, text: `approved: ${id} → ${r.ring} (${r.next})` }),
  });
}
