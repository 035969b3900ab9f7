import type { WorkflowHandle } from '@temporalio/client';
import type { RingName } from '../../config/policy-schema';
import type { ApprovalSignature, UnsignedFacts } from '../../domain/approval-signature';
import type { CycleStatus, GateDecision } from '../../domain/cycle/cycle-status';
import type { ExceptionStatus } from '../../domain/exception/exception';
import { personId } from '../../domain/identity';
import {
  abortUpdate,
  approveRingUpdate,
  cycleStatusQuery,
  gateDecisionUpdate,
  incidentUpdate,
  pauseUpdate,
  rejectPromotionUpdate,
  resumeUpdate,
  type ControlAccepted,
  type DecisionAccepted,
} from '../../workflows/cycle/messages';
import { approveExceptionUpdate, exceptionStatusQuery, renewExceptionUpdate, revokeExceptionUpdate, signOffExceptionUpdate } from '../../workflows/exception/messages';
import { badInput, notAllowed } from '../errors';
import { signingKeyFile, signWithKeyFile } from './approval-signing';
import { withCycle } from './cycle-target';
import { settledStatus, withException } from './exception-target';

/** Every decision a person gives on a cycle or an exception; the CLI and the web page both send these. */
export type Decision =
  | { kind: 'approve-ring'; ring: RingName; by: string; comment?: string }
  | { kind: 'reject-promotion'; ring?: RingName; by: string; reason: string }
  | { kind: 'gate'; ring: RingName; decision: GateDecision; by: string; reason: string }
  | { kind: 'abort'; by: string; reason: string }
  | { kind: 'incident'; by: string; summary: string }
  | { kind: 'pause' | 'resume'; by: string; reason?: string }
  | { kind: 'exception-signoff'; by: string; comment?: string }
  | { kind: 'exception-approve'; by: string; comment?: string }
  | { kind: 'exception-renew'; by: string; until: string; reason: string }
  | { kind: 'exception-revoke'; by: string; reason: string };

export type CycleDecision = Extract<Decision, { kind: 'approve-ring' | 'reject-promotion' | 'gate' }>;
export type CycleControl = Extract<Decision, { kind: 'abort' | 'incident' | 'pause' | 'resume' }>;
export type ExceptionDecision = Extract<Decision, { kind: 'exception-signoff' | 'exception-approve' | 'exception-renew' | 'exception-revoke' }>;

/** What a signer reads from a cycle's status query: the run, the pending decision, the control id. */
export type CycleSigningView = Pick<CycleStatus, 'cycleId' | 'runId' | 'pending' | 'control'>;
/** The same for an exception (its status plus the workflow id). */
export type ExceptionSigningView = Pick<ExceptionStatus, 'runId' | 'pending' | 'control'> & { workflowId: string };

export type Signer = (facts: UnsignedFacts) => ApprovalSignature;

function pendingFor(view: CycleSigningView, kind: 'promotion' | 'gate', ring: RingName | undefined): NonNullable<CycleStatus['pending']> {
  const pending = view.pending;
  if (!pending || pending.kind !== kind || (ring && pending.ring !== ring)) {
    const what = kind === 'promotion' ? `promotion${ring ? ` to ${ring}` : ''}` : `${ring ?? ''} gate decision`;
    throw notAllowed(`no ${what} is pending for ${view.cycleId}${pending ? ` (pending: ${pending.kind} ${pending.ring})` : ''}`, `see \`patchctl cycle status ${view.cycleId}\``);
  }
  return pending;
}

/**
 * The facts a signature on this cycle decision binds, read from the cycle's status: the first run,
 * the pending decision's id (or the current control id for abort, incident, pause, resume).
 */
export function cycleDecisionFacts(view: CycleSigningView, d: CycleDecision | CycleControl): UnsignedFacts {
  const base = { workflowId: view.cycleId, runId: view.runId ?? '', by: personId(d.by) };
  switch (d.kind) {
    case 'approve-ring':
      return { ...base, decisionId: pendingFor(view, 'promotion', d.ring).decisionId, decision: 'approve', reason: d.comment ?? '' };
    case 'reject-promotion':
      return { ...base, decisionId: pendingFor(view, 'promotion', d.ring).decisionId, decision: 'reject', reason: d.reason };
    case 'gate':
      return { ...base, decisionId: pendingFor(view, 'gate', d.ring).decisionId, decision: d.decision, reason: d.reason };
    case 'incident':
      return { ...base, decisionId: view.control?.decisionId ?? '', decision: 'incident', reason: d.summary };
    default:
      return { ...base, decisionId: view.control?.decisionId ?? '', decision: d.kind, reason: d.reason ?? '' };
  }
}

/** The update a cycle decision sends, signed by `sign` when given, over the facts of the pending decision. */
export function cycleDecisionUpdate(view: CycleSigningView, d: CycleDecision | CycleControl, sign?: Signer) {
  const signature = sign ? sign(cycleDecisionFacts(view, d)) : undefined;
  const by = personId(d.by);
  switch (d.kind) {
    case 'approve-ring': {
      const input = { ring: d.ring, approver: by, comment: d.comment, signature };
      return { update: approveRingUpdate.name, input, send: (h: WorkflowHandle): Promise<DecisionAccepted | ControlAccepted> => h.executeUpdate(approveRingUpdate, { args: [input] }) };
    }
    case 'reject-promotion': {
      if (sign && !d.ring) throw badInput('a signed rejection must name the ring it rejects', 'pass the ring whose promotion you reject (--ring pilot|production)');
      const input = { approver: by, reason: d.reason, ring: d.ring, signature };
      return { update: rejectPromotionUpdate.name, input, send: (h: WorkflowHandle): Promise<DecisionAccepted | ControlAccepted> => h.executeUpdate(rejectPromotionUpdate, { args: [input] }) };
    }
    case 'gate': {
      const input = { ring: d.ring, decision: d.decision, by, reason: d.reason, signature };
      return { update: gateDecisionUpdate.name, input, send: (h: WorkflowHandle): Promise<DecisionAccepted | ControlAccepted> => h.executeUpdate(gateDecisionUpdate, { args: [input] }) };
    }
    case 'incident': {
      const input = { summary: d.summary, reportedBy: by, signature };
      return { update: incidentUpdate.name, input, send: (h: WorkflowHandle): Promise<DecisionAccepted | ControlAccepted> => h.executeUpdate(incidentUpdate, { args: [input] }) };
    }
    case 'abort': {
      const input = { reason: d.reason, by, signature };
      return { update: abortUpdate.name, input, send: (h: WorkflowHandle): Promise<DecisionAccepted | ControlAccepted> => h.executeUpdate(abortUpdate, { args: [input] }) };
    }
    default: {
      const def = d.kind === 'pause' ? pauseUpdate : resumeUpdate;
      const input = { by, reason: d.reason, signature };
      return { update: def.name, input, send: (h: WorkflowHandle): Promise<DecisionAccepted | ControlAccepted> => h.executeUpdate(def, { args: [input] }) };
    }
  }
}

/** The facts a signature on an exception decision binds, read from its status. */
export function exceptionDecisionFacts(view: ExceptionSigningView, d: ExceptionDecision): UnsignedFacts {
  const base = { workflowId: view.workflowId, runId: view.runId ?? '', by: personId(d.by) };
  const step = d.kind === 'exception-signoff' ? 'signoff' : d.kind === 'exception-approve' ? 'approval' : undefined;
  if (step) {
    if (view.pending?.step !== step) throw notAllowed(`no ${step === 'signoff' ? 'sign-off' : 'approval'} is pending for ${view.workflowId}`, 'see `patchctl exception show`');
    return { ...base, decisionId: view.pending.decisionId, decision: step === 'signoff' ? 'signoff' : 'approve', reason: 'comment' in d ? (d.comment ?? '') : '' };
  }
  const decisionId = view.control?.decisionId ?? '';
  return d.kind === 'exception-renew' ? { ...base, decisionId, decision: 'renew', reason: d.reason, until: d.until } : { ...base, decisionId, decision: 'revoke', reason: (d as { reason: string }).reason };
}

export function exceptionDecisionUpdate(view: ExceptionSigningView, d: ExceptionDecision, sign?: Signer) {
  const signature = sign ? sign(exceptionDecisionFacts(view, d)) : undefined;
  const by = personId(d.by);
  switch (d.kind) {
    case 'exception-signoff':
      return { update: signOffExceptionUpdate, input: { by, comment: d.comment, signature } };
    case 'exception-approve':
      return { update: approveExceptionUpdate, input: { by, comment: d.comment, signature } };
    case 'exception-renew':
      return { update: renewExceptionUpdate, input: { by, until: d.until, reason: d.reason, signature } };
    case 'exception-revoke':
      return { update: revokeExceptionUpdate, input: { by, reason: d.reason, signature } };
  }
}

function signerFor(key: string | undefined): Signer | undefined {
  const keyFile = signingKeyFile(key);
  return keyFile ? (facts) => signWithKeyFile(keyFile, facts) : undefined;
}

async function sendToCycle(ref: string, d: CycleDecision | CycleControl, key: string | undefined): Promise<DecisionAccepted | ControlAccepted> {
  const sign = signerFor(key);
  return withCycle(ref, async (handle) => {
    // The status names the run and the pending decision id the signature binds.
    const status = await handle.query(cycleStatusQuery);
    return cycleDecisionUpdate(status, d, sign).send(handle);
  });
}

/** Sends a decision on a cycle and answers where the cycle goes next. */
export async function decideCycle(ref: string, d: CycleDecision, key?: string): Promise<DecisionAccepted> {
  return (await sendToCycle(ref, d, key)) as DecisionAccepted;
}

/** Sends an abort, incident, pause or resume, signed when a key is given. */
export async function controlCycle(ref: string, d: CycleControl, key?: string): Promise<ControlAccepted> {
  return (await sendToCycle(ref, d, key)) as ControlAccepted;
}

/** Sends a decision on an exception and answers its status once the workflow recorded it. */
export async function decideException(ref: string, d: ExceptionDecision, key?: string): Promise<{ ref: string; status: ExceptionStatus }> {
  const sign = signerFor(key);
  return withException(ref, async (handle, _client, target) => {
    const current = await handle.query(exceptionStatusQuery);
    const { update, input } = exceptionDecisionUpdate({ ...current, workflowId: handle.workflowId }, d, sign);
    await handle.executeUpdate(update as typeof approveExceptionUpdate, { args: [input as never] });
    const settled =
      d.kind === 'exception-signoff'
        ? (s: ExceptionStatus) => s.pending?.step !== 'signoff'
        : d.kind === 'exception-approve'
          ? (s: ExceptionStatus) => s.pending === undefined && s.status !== 'signed-off'
          : d.kind === 'exception-renew'
            ? (s: ExceptionStatus) => s.pending !== undefined
            : () => true;
    return { ref: target.ref, status: await settledStatus(handle, settled, 5_000) };
  });
}
