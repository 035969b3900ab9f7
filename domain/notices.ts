import type { ChatEvent, RingName } from '../config/policy-schema';
import { parseCycleRef } from './ids';

// Mail texts the cycle sends. Pure so the workflow can build them; ids are deterministic so a
// retried send is recognisably the same message.

export interface Notice {
  messageId: string;
  to: string[];
  subject: string;
  text: string;
  /**
   * The pending decision this mail asks its recipients for. The notice activity then mails each
   * recipient separately, with a one-time link to the approval page bound to them; the link's token
   * is made there, so it never enters workflow history.
   */
  decision?: NoticeDecision;
  /** Also posted to the client's chat channels when its policy asks for this event. */
  chat?: NoticeChat;
}

export interface NoticeChat {
  clientId: string;
  event: ChatEvent;
}

function chatFor(cycleId: string, event: ChatEvent): { chat?: NoticeChat } {
  const clientId = parseCycleRef(cycleId)?.clientId;
  return clientId ? { chat: { clientId, event } } : {};
}

export type NoticeDecisionKind = 'promotion' | 'gate' | 'exception-signoff' | 'exception-approve';

export interface NoticeDecision {
  kind: NoticeDecisionKind;
  /** The ring (cycle decisions) or the exception id decided on. */
  subject: string;
  /** The decision stops being pending by then (a gate's decide-by): no link outlives it. */
  pendingUntil?: string;
}

/** The paragraph the notice activity adds to a decision mail, one per recipient. */
export function approvalLinkParagraph(url: string, expiresAt: string): string {
  return `\nOr decide on the approval page (this link is yours alone, works once and expires ${expiresAt}):\n  ${url}\n`;
}

/** One recipient's copy of a decision mail: its own Message-ID, so each copy is sent once. */
export function personalMessageId(messageId: string, person: string): string {
  const who = person.replace(/[^a-zA-Z0-9.-]+/g, '.');
  return messageId.replace(/@patchctl>$/, `.to.${who}@patchctl>`);
}

function id(cycleId: string, what: string): string {
  return `<${cycleId.replace(/[^a-zA-Z0-9.-]+/g, '.')}.${what}@patchctl>`;
}

export function promotionRequest(cycleId: string, ring: RingName, to: string[], reason: string): Notice {
  return {
    messageId: id(cycleId, `promotion.${ring}`),
    to,
    subject: `[patchctl] Approve promotion of ${cycleId} to ${ring}`,
    text: `${cycleId} is ready to promote to the ${ring} ring (${reason}).\n\nApprove:  patchctl cycle approve ${cycleId} --ring ${ring} --as <you>\nReject:   patchctl cycle reject ${cycleId} --as <you> --reason "..."\n`,
    decision: { kind: 'promotion', subject: ring },
    ...chatFor(cycleId, 'promotion-waiting'),
  };
}

export function promotionReminder(cycleId: string, ring: RingName, to: string[]): Notice {
  return {
    messageId: id(cycleId, `promotion.${ring}.reminder`),
    to,
    subject: `[patchctl] Reminder: ${cycleId} waits for approval to ${ring}`,
    text: `${cycleId} is still waiting for someone to approve promotion to ${ring}.\n\npatchctl cycle approve ${cycleId} --ring ${ring} --as <you>\n`,
    decision: { kind: 'promotion', subject: ring },
  };
}

export function deadlineEscalation(cycleId: string, ring: RingName, to: string[], deadline: string): Notice {
  return {
    messageId: id(cycleId, `promotion.${ring}.escalation`),
    to,
    subject: `[patchctl] ESCALATION: ${cycleId} will miss its SLA deadline`,
    text: `Promotion of ${cycleId} to ${ring} is still not approved. The earliest SLA deadline is ${deadline}.\n`,
  };
}

export function gateBreached(cycleId: string, ring: RingName, attempt: number, to: string[], reason: string, ticketId: string, decideBy: string): Notice {
  return {
    messageId: id(cycleId, `gate.${ring}.${attempt}`),
    to,
    subject: `[patchctl] ${ring} gate breached for ${cycleId}`,
    text:
      `The ${ring} ring of ${cycleId} halted: ${reason}.\nPSA ticket: ${ticketId}\n` +
      `Decide before ${decideBy} or the cycle rolls back:\n` +
      `  patchctl cycle decide ${cycleId} --ring ${ring} --decision rollback|retry-failed|override --as <you> --reason "..."\n`,
    decision: { kind: 'gate', subject: ring, pendingUntil: decideBy },
    ...chatFor(cycleId, 'gate-breached'),
  };
}

export function cycleEnded(cycleId: string, to: string[], status: string, reason: string): Notice {
  return {
    messageId: id(cycleId, `ended.${status}`),
    to,
    subject: `[patchctl] ${cycleId} ${status}`,
    text: `${cycleId} ended ${status}: ${reason}.\n\nDetails: patchctl cycle status ${cycleId}\n`,
    ...(status === 'rolled-back' ? chatFor(cycleId, 'rollback') : {}),
  };
}

function exceptionNotice(exceptionId: string, what: string, to: string[], subject: string, text: string, decision?: NoticeDecision): Notice {
  return { messageId: id(`exception.${exceptionId}`, what), to, subject: `[patchctl] ${subject}`, text, ...(decision ? { decision } : {}) };
}

/** What an exception's mail is about: the exception, where its workflow runs, what it covers. */
export interface ExceptionSubject {
  clientId: string;
  exceptionId: string;
  hostnames: readonly string[];
  requestedBy: string;
  reason: string;
}

const exceptionRef = (e: ExceptionSubject) => `${e.clientId}/${e.exceptionId}`;
const renewCommand = (e: ExceptionSubject) => `patchctl exception renew ${exceptionRef(e)} --until <date> --reason "..." --as <you>`;

/**
 * `label` is `grant` for a new exception, `renew` for a renewal. `occurrence` tells renewals apart
 * (the requested date): mail is sent once per Message-ID, and a second renewal must still be mailed.
 */
function decisionMailId(label: string, occurrence: string | undefined, step: string): string {
  return occurrence ? `${label}.${occurrence}.${step}` : `${label}.${step}`;
}

export function exceptionSignOffRequest(e: ExceptionSubject, label: string, owner: string, occurrence?: string): Notice {
  return exceptionNotice(e.exceptionId, decisionMailId(label, occurrence, 'signoff'), [owner], `Sign off exception ${e.exceptionId}`, `${e.requestedBy} asks to ${label} an exception for ${e.hostnames.join(', ')}: ${e.reason}.\n\npatchctl exception signoff ${exceptionRef(e)} --as ${owner}\n`, { kind: 'exception-signoff', subject: e.exceptionId });
}

export function exceptionApprovalRequest(e: ExceptionSubject, label: string, to: string[], signedOffBy: string | undefined, occurrence?: string): Notice {
  return exceptionNotice(e.exceptionId, decisionMailId(label, occurrence, 'approval'), to, `Approve exception ${e.exceptionId}`, `Signed off by ${signedOffBy}. Approve:\n\npatchctl exception approve ${exceptionRef(e)} --as <you>\n`, { kind: 'exception-approve', subject: e.exceptionId });
}

export function exceptionReminder(e: ExceptionSubject, to: string[], end: string): Notice {
  return exceptionNotice(e.exceptionId, `reminder.${end}`, to, `Exception ${e.exceptionId} ends ${end}`, `${e.exceptionId} for ${e.hostnames.join(', ')} ends at ${end}. Renew it (new sign-off and approval) or let the patches back into the next cycle:\n\n${renewCommand(e)}\n`);
}

export function exceptionReviewDue(e: ExceptionSubject, to: string[], end: string): Notice {
  return exceptionNotice(e.exceptionId, `review.${end}`, to, `Review the isolated lane ${e.exceptionId}`, `The review date ${end} of ${e.exceptionId} has come. Renew it with a new review date or it expires:\n\n${renewCommand(e)}\n`);
}

export function exceptionEnded(e: ExceptionSubject, to: string[], status: string, reason: string): Notice {
  return exceptionNotice(e.exceptionId, status, to, `Exception ${e.exceptionId} ${status}`, `${e.exceptionId} (${e.hostnames.join(', ')}) is ${status}: ${reason}.\n`);
}
