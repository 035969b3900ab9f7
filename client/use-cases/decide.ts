import type { WorkflowHandle } from '@temporalio/client';
import type { RingName } from '../../config/policy-schema';
import type { ApprovalSignature } from '../../domain/approval-signature';
import type { GateDecision } from '../../domain/cycle/cycle-status';
import type { ExceptionStatus } from '../../domain/exception/exception';
import { approveRingUpdate, gateDecisionUpdate, rejectPromotionUpdate, type DecisionAccepted, type RejectPromotionInput } from '../../workflows/cycle/messages';
import { approveExceptionUpdate, signOffExceptionUpdate } from '../../workflows/exception/messages';
import { badInput } from '../errors';
import { signApproval, signingKeyFile } from './approval-signing';
import { withCycle } from './cycle-target';
import { settledStatus, withException } from './exception-target';

/** Every decision a person gives on a cycle or an exception; the CLI and the web page both send these. */
export type Decision =
  | { kind: 'approve-ring'; ring: RingName; by: string; comment?: string }
  | { kind: 'reject-promotion'; ring?: RingName; by: string; reason: string }
  | { kind: 'gate'; ring: RingName; decision: GateDecision; by: string; reason: string }
  | { kind: 'exception-signoff'; by: string; comment?: string }
  | { kind: 'exception-approve'; by: string; comment?: string };

export type CycleDecision = Extract<Decision, { kind: 'approve-ring' | 'reject-promotion' | 'gate' }>;
export type ExceptionDecision = Extract<Decision, { kind: 'exception-signoff' | 'exception-approve' }>;

// The reject input names its ring once the workflow takes it; until then the field is carried along.
type RejectInput = RejectPromotionInput & { ring?: RingName };

type Sign = (subject: string, decision: string) => ApprovalSignature | undefined;

function signer(workflowId: string, by: string, keyFile: string | undefined): Sign {
  return (subject, decision) => (keyFile ? signApproval(keyFile, { workflowId, subject, decision, by }) : undefined);
}

/**
 * The update a cycle decision sends, signed over (workflow, ring, decision, person) when a key is
 * given. A rejection signs the ring it names, never what a query said was pending: the workflow then
 * refuses it if another promotion is pending by the time it arrives.
 */
export function cycleDecisionUpdate(workflowId: string, d: CycleDecision, keyFile?: string) {
  const sign = signer(workflowId, d.by, keyFile);
  switch (d.kind) {
    case 'approve-ring': {
      const input = { ring: d.ring, approver: d.by, comment: d.comment, signature: sign(d.ring, 'approve') };
      return { update: approveRingUpdate.name, input, send: (h: WorkflowHandle) => h.executeUpdate(approveRingUpdate, { args: [input] }) };
    }
    case 'reject-promotion': {
      if (keyFile && !d.ring) throw badInput('a signed rejection must name the ring it rejects', 'pass the ring whose promotion you reject (--ring pilot|production)');
      const input: RejectInput = { approver: d.by, reason: d.reason, ring: d.ring, signature: d.ring ? sign(d.ring, 'reject') : undefined };
      return { update: rejectPromotionUpdate.name, input, send: (h: WorkflowHandle) => h.executeUpdate(rejectPromotionUpdate, { args: [input] }) };
    }
    case 'gate': {
      const input = { ring: d.ring, decision: d.decision, by: d.by, reason: d.reason, signature: sign(d.ring, d.decision) };
      return { update: gateDecisionUpdate.name, input, send: (h: WorkflowHandle) => h.executeUpdate(gateDecisionUpdate, { args: [input] }) };
    }
  }
}

export function exceptionDecisionUpdate(workflowId: string, exceptionId: string, d: ExceptionDecision, keyFile?: string) {
  const decision = d.kind === 'exception-signoff' ? 'signoff' : 'approve';
  const input = { by: d.by, comment: d.comment, signature: signer(workflowId, d.by, keyFile)(exceptionId, decision) };
  return { update: d.kind === 'exception-signoff' ? signOffExceptionUpdate : approveExceptionUpdate, input };
}

/** Sends a decision on a cycle and answers where the cycle goes next. */
export async function decideCycle(ref: string, d: CycleDecision, key?: string): Promise<DecisionAccepted> {
  const keyFile = signingKeyFile(key);
  return withCycle(ref, (handle) => cycleDecisionUpdate(handle.workflowId, d, keyFile).send(handle));
}

/** Sends a sign-off or approval of an exception and answers its status once the workflow recorded it. */
export async function decideException(ref: string, d: ExceptionDecision, key?: string): Promise<{ ref: string; status: ExceptionStatus }> {
  const keyFile = signingKeyFile(key);
  return withException(ref, async (handle, _client, target) => {
    const { update, input } = exceptionDecisionUpdate(handle.workflowId, target.exceptionId, d, keyFile);
    await handle.executeUpdate(update, { args: [input] });
    const settled = d.kind === 'exception-signoff' ? (s: ExceptionStatus) => s.pending?.step !== 'signoff' : (s: ExceptionStatus) => s.pending === undefined && s.status !== 'signed-off';
    return { ref: target.ref, status: await settledStatus(handle, settled, 5_000) };
  });
}
