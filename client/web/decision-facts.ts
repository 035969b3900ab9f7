import type { Client } from '@temporalio/client';
import type { ApprovalLinkRow } from '../../activities/store/approval-link-store';
import type { DeadlineGroup, ExcludedAsset, RingProgress } from '../../domain/cycle/cycle-status';
import type { ExceptionStatus } from '../../domain/exception/exception';
import { exceptionStatusQuery } from '../../workflows/exception/messages';
import { liveStatus } from '../use-cases/cycle-status';

// What the page shows about the decision a link is bound to, read live from the workflow (the same
// status queries as `cycle status` and `exception show`), and whether it is still pending for the
// person the link was mailed to.

export type PageChoice = 'approve' | 'reject' | 'rollback' | 'retry-failed' | 'override';

export interface DecisionFacts {
  title: string;
  /** Whose cycle or exception, as shown to the person. */
  reference: string;
  reason?: string;
  decideBy?: string;
  rings: RingProgress[];
  excluded: ExcludedAsset[];
  excludedCount: number;
  deadlines: DeadlineGroup[];
  /** Exception facts: hosts, patches, requester, controls. */
  details: Array<[string, string]>;
  choices: PageChoice[];
}

export type FactsAnswer = { pending: true; facts: DecisionFacts } | { pending: false; why: string };

const GATE_CHOICES: PageChoice[] = ['rollback', 'retry-failed', 'override'];

async function cycleFacts(temporal: Client, link: ApprovalLinkRow): Promise<FactsAnswer> {
  const status = await liveStatus(temporal.workflow.getHandle(link.workflowId));
  const pending = status.pending;
  const wanted = link.kind === 'promotion' ? 'promotion' : 'gate';
  if (!pending || pending.kind !== wanted || pending.ring !== link.subject) {
    const now = status.outcome ? `the cycle has ended (${status.outcome.status})` : `the cycle is now ${status.phase}${pending ? ` and waits for a ${pending.kind} decision on ${pending.ring}` : ''}`;
    return { pending: false, why: `The ${link.kind} decision on ${link.subject} this link was sent for is no longer pending: ${now}.` };
  }
  if (!pending.deciders.includes(link.person)) return { pending: false, why: `${link.person} is not among the people who may decide this (${pending.deciders.join(', ')}).` };
  return {
    pending: true,
    facts: {
      title: link.kind === 'promotion' ? `Promote ${status.cycleId} to ${pending.ring}` : `The ${pending.ring} gate of ${status.cycleId} is breached`,
      reference: `${status.cycleId} (client ${status.clientId}, started by ${status.requestedBy})`,
      reason: pending.reason,
      decideBy: pending.decideBy,
      rings: status.rings,
      excluded: status.excluded,
      excludedCount: status.excludedCount,
      deadlines: status.deadlines,
      details: [],
      choices: link.kind === 'promotion' ? ['approve', 'reject'] : GATE_CHOICES,
    },
  };
}

async function exceptionFacts(temporal: Client, link: ApprovalLinkRow): Promise<FactsAnswer> {
  const status: ExceptionStatus = await temporal.workflow.getHandle(link.workflowId).query(exceptionStatusQuery);
  const step = link.kind === 'exception-signoff' ? 'signoff' : 'approval';
  if (status.pending?.step !== step) return { pending: false, why: `The ${step} of exception ${link.subject} this link was sent for is no longer pending: the exception is ${status.status}.` };
  if (!status.pending.who.includes(link.person)) return { pending: false, why: `${link.person} is not among the people who may decide this (${status.pending.who.join(', ')}).` };
  return {
    pending: true,
    facts: {
      title: step === 'signoff' ? `Sign off exception ${status.exceptionId}` : `Approve exception ${status.exceptionId}`,
      reference: `${status.clientId}/${status.exceptionId}`,
      reason: status.reason,
      decideBy: status.pending.decideBy,
      rings: [],
      excluded: [],
      excludedCount: 0,
      deadlines: [],
      details: [
        ['Assets', status.hostnames.join(', ')],
        ['Patches', status.patchIds.join(', ') || 'all'],
        ['Requested by', status.requestedBy],
        ['Signed off by', status.signedOffBy ?? '—'],
        ['Compensating controls', status.controls.map((c) => `${c.category}: ${c.description}`).join('; ') || '—'],
      ],
      choices: ['approve'],
    },
  };
}

/** The live facts of the link's decision; `pending: false` says why it can no longer be decided. */
export function decisionFacts(temporal: Client, link: ApprovalLinkRow): Promise<FactsAnswer> {
  return link.kind === 'promotion' || link.kind === 'gate' ? cycleFacts(temporal, link) : exceptionFacts(temporal, link);
}
