import type { DecisionRecord } from '../../domain/cycle/cycle-status';
import { attributes, EventType, firstPayload, type PayloadReader, type WorkflowRun } from './history-json';

// The cycle's own decision log (its status/result `decisions`) tied to the history events that carried
// each decision in: the accepted/completed update or the signal.

export interface MessageEvent {
  kind: 'update' | 'signal';
  name: string;
  args: Record<string, unknown>;
  workflowId: string;
  /** WorkflowExecutionUpdateAccepted or WorkflowExecutionSignaled. */
  eventId: number;
  at: string;
  /** WorkflowExecutionUpdateCompleted, for updates. */
  completedEventId?: number;
  updateId?: string;
  identity?: string;
}

export interface DecisionEvidence extends DecisionRecord {
  workflowId: string;
  message: string | null;
  eventId: number | null;
  completedEventId: number | null;
  eventTime: string | null;
}

export interface DecisionsDoc {
  cycleId: string;
  decisions: DecisionEvidence[];
  /** Messages that are no decision (pause, resume) or that the cycle ignored (a second abort). */
  otherMessages: MessageEvent[];
}

export async function messageEvents(runs: readonly WorkflowRun[], read: PayloadReader): Promise<MessageEvent[]> {
  const found: MessageEvent[] = [];
  for (const run of runs) {
    const byUpdateId = new Map<string, MessageEvent>();
    for (const event of run.history.events) {
      if (event.eventType === EventType.updateAccepted) {
        const a = attributes<{ acceptedRequest?: { meta?: { updateId?: string; identity?: string }; input?: { name?: string; args?: unknown } } }>(event);
        const message: MessageEvent = {
          kind: 'update',
          name: a.acceptedRequest?.input?.name ?? '',
          args: ((await read(firstPayload(a.acceptedRequest?.input?.args))) ?? {}) as Record<string, unknown>,
          workflowId: run.workflowId,
          eventId: Number(event.eventId),
          at: event.eventTime,
          updateId: a.acceptedRequest?.meta?.updateId,
          identity: a.acceptedRequest?.meta?.identity,
        };
        if (message.updateId) byUpdateId.set(message.updateId, message);
        found.push(message);
      } else if (event.eventType === EventType.updateCompleted) {
        const a = attributes<{ meta?: { updateId?: string } }>(event);
        const accepted = a.meta?.updateId ? byUpdateId.get(a.meta.updateId) : undefined;
        if (accepted) accepted.completedEventId = Number(event.eventId);
      } else if (event.eventType === EventType.signaled) {
        const a = attributes<{ signalName?: string; input?: unknown; identity?: string }>(event);
        found.push({
          kind: 'signal',
          name: a.signalName ?? '',
          args: ((await read(firstPayload(a.input))) ?? {}) as Record<string, unknown>,
          workflowId: run.workflowId,
          eventId: Number(event.eventId),
          at: event.eventTime,
          identity: a.identity,
        });
      }
    }
  }
  return found;
}

const MESSAGE_OF: Record<DecisionRecord['kind'], string | undefined> = {
  approval: 'approveRing',
  rejection: 'rejectPromotion',
  'gate-decision': 'decideGate',
  incident: 'reportIncident',
  abort: 'abortCycle',
  pause: 'pause',
  resume: 'resume',
  timeout: undefined,
  start: undefined,
};

function carries(record: DecisionRecord, m: MessageEvent): boolean {
  if (MESSAGE_OF[record.kind] !== m.name) return false;
  const a = m.args;
  switch (record.kind) {
    case 'approval':
      return a.ring === record.ring && a.approver === record.by;
    case 'rejection':
      return a.approver === record.by && a.reason === record.reason;
    case 'gate-decision':
      return a.ring === record.ring && a.by === record.by && a.decision === record.decision;
    case 'incident':
      return a.reportedBy === record.by && a.summary === record.reason;
    case 'abort':
      return a.by === record.by && a.reason === record.reason;
    default:
      return false;
  }
}

/** What the cycle would have recorded for a message, when its own log is not available (failed run). */
function recordFromMessage(m: MessageEvent): DecisionRecord | undefined {
  const a = m.args as Record<string, string | undefined>;
  switch (m.name) {
    case 'approveRing':
      return { kind: 'approval', ring: a.ring as DecisionRecord['ring'], by: a.approver ?? '', at: m.at, decision: 'approve', reason: a.comment };
    case 'rejectPromotion':
      return { kind: 'rejection', by: a.approver ?? '', at: m.at, decision: 'reject', reason: a.reason };
    case 'decideGate':
      return { kind: 'gate-decision', ring: a.ring as DecisionRecord['ring'], by: a.by ?? '', at: m.at, decision: a.decision, reason: a.reason };
    case 'reportIncident':
      return { kind: 'incident', by: a.reportedBy ?? '', at: m.at, reason: a.summary };
    case 'abortCycle':
      return { kind: 'abort', by: a.by ?? '', at: m.at, reason: a.reason };
    default:
      return undefined;
  }
}

/** A timeout has no message: it is the gate-decision timer that fired last before it was recorded. */
function timerBefore(runs: readonly WorkflowRun[], at: string): { workflowId: string; eventId: number; at: string } | undefined {
  let best: { workflowId: string; eventId: number; at: string } | undefined;
  for (const run of runs) {
    for (const event of run.history.events) {
      if (event.eventType === EventType.timerFired && event.eventTime <= at && (!best || event.eventTime >= best.at)) {
        best = { workflowId: run.workflowId, eventId: Number(event.eventId), at: event.eventTime };
      }
    }
  }
  return best;
}

/**
 * Ties each recorded decision to the first not yet used message event that carries it. Without the
 * cycle's own records (it failed or was terminated) the decisions are rebuilt from the messages.
 */
export function buildDecisions(cycleId: string, records: readonly DecisionRecord[] | undefined, messages: readonly MessageEvent[], parentRuns: readonly WorkflowRun[]): DecisionsDoc {
  const used = new Set<MessageEvent>();
  const decisions: DecisionEvidence[] = [];
  const list = records ?? messages.map(recordFromMessage).filter((r): r is DecisionRecord => r !== undefined);
  for (const record of list) {
    const message = messages.find((m) => !used.has(m) && carries(record, m));
    if (message) used.add(message);
    const timer = !message && record.kind === 'timeout' ? timerBefore(parentRuns, record.at) : undefined;
    decisions.push({
      ...record,
      workflowId: message?.workflowId ?? timer?.workflowId ?? cycleId,
      message: message ? message.name : timer ? 'timer fired' : null,
      eventId: message?.eventId ?? timer?.eventId ?? null,
      completedEventId: message?.completedEventId ?? null,
      eventTime: message?.at ?? timer?.at ?? null,
    });
  }
  return { cycleId, decisions, otherMessages: messages.filter((m) => !used.has(m)) };
}
