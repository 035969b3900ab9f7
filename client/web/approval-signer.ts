import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import type { ApprovalLinkKind } from '../../activities/store/approval-link-store';
import type { RingName } from '../../config/policy-schema';
import type { GateDecision } from '../../domain/cycle/cycle-status';
import { badInput } from '../errors';
import { signDecision } from '../use-cases/approval-signing';
import { cycleDecisionUpdate, exceptionDecisionUpdate, type CycleDecision, type ExceptionDecision, type Signer } from '../use-cases/decide';
import { cycleStatusQuery } from '../../workflows/cycle/messages';
import { exceptionStatusQuery } from '../../workflows/exception/messages';

/** The delegate name policy lists the page's public key under (`signing.delegates`). */
export const APPROVAL_PAGE_DELEGATE = 'approval-page';

// The one place the approval page signs. It sends the very update the CLI sends (decide.ts), signed
// with the page's own key as the delegate `approval-page` on behalf of the person the link was
// mailed to: the workflow accepts it only while policy lists that key under `signing.delegates`,
// and the recorded signature names the delegate, so the evidence shows the decision came from here.

/** What a person chose on the page, for the decision their link is bound to. */
export interface PageDecision {
  workflowId: string;
  kind: ApprovalLinkKind;
  /** The ring (cycle) or exception id the link is bound to. */
  subject: string;
  /** The person the link was mailed to: the decision is recorded as theirs. */
  person: string;
  choice: 'approve' | 'reject' | GateDecision;
  reason: string;
}

export interface ApprovalPageSigner {
  /** PEM of the page's public key: what policy must trust for decisions given on the page. */
  readonly publicKeyPem: string;
  /**
   * Sends the decision as a signed update and answers, in a sentence, where the workflow goes next;
   * throws the workflow's refusal (WorkflowUpdateFailedError) as it came.
   */
  decide(temporal: Client, decision: PageDecision): Promise<string>;
}

/** The marker the evidence carries for every decision given here. */
export const VIA_APPROVAL_PAGE = 'via approval page';

function withMarker(reason: string): string {
  return reason.trim() ? `${VIA_APPROVAL_PAGE}: ${reason.trim()}` : VIA_APPROVAL_PAGE;
}

function cycleDecision(d: PageDecision): CycleDecision {
  const ring = d.subject as RingName;
  if (d.kind === 'promotion') {
    return d.choice === 'approve' ? { kind: 'approve-ring', ring, by: d.person, comment: withMarker(d.reason) } : { kind: 'reject-promotion', ring, by: d.person, reason: withMarker(d.reason) };
  }
  return { kind: 'gate', ring, decision: d.choice as GateDecision, by: d.person, reason: withMarker(d.reason) };
}

/** Refuses a key file other users can read, or one that is no Ed25519 private key. */
export interface ApprovalPageSignerOptions {
  /** The clock signatures are dated by (tests on the time-skipping server pass the server's). */
  now?: () => Promise<Date> | Date;
}

export function loadApprovalPageSigner(keyFile: string, options: ApprovalPageSignerOptions = {}): ApprovalPageSigner {
  let mode: number;
  try {
    mode = statSync(keyFile).mode & 0o777;
  } catch (error) {
    throw badInput(`cannot read the approval page key ${keyFile}: ${(error as Error).message}`, 'create one with `patchctl keys generate` and pass it with --key-file or PATCHCTL_WEB_KEY_FILE');
  }
  if (mode & 0o077) throw badInput(`the approval page key ${keyFile} is readable by other users (mode ${mode.toString(8).padStart(4, '0')})`, `run \`chmod 600 ${keyFile}\``);
  let key;
  try {
    key = createPrivateKey(readFileSync(keyFile));
  } catch (error) {
    throw badInput(`${keyFile} is not a private key: ${(error as Error).message}`, 'pass the .key.pem written by `patchctl keys generate`');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw badInput(`${keyFile} is a ${key.asymmetricKeyType} key, not Ed25519`, 'create one with `patchctl keys generate`');
  const publicKeyPem = createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
  const signerAt = (at: Date): Signer => (facts) => signDecision(facts, key, { delegate: APPROVAL_PAGE_DELEGATE, signedAt: at });
  return {
    publicKeyPem,
    async decide(temporal, d) {
      const handle = temporal.workflow.getHandle(d.workflowId);
      const sign = signerAt(await (options.now?.() ?? new Date()));
      if (d.kind === 'promotion' || d.kind === 'gate') {
        // The signature binds the run and the pending decision's id, both read from the status.
        const status = await handle.query(cycleStatusQuery);
        const accepted = await cycleDecisionUpdate(status, cycleDecision(d), sign).send(handle);
        return `The cycle goes on: ${accepted.next}.`;
      }
      const decision: ExceptionDecision = { kind: d.kind === 'exception-signoff' ? 'exception-signoff' : 'exception-approve', by: d.person, comment: withMarker(d.reason) };
      const status = await handle.query(exceptionStatusQuery);
      const { update, input } = exceptionDecisionUpdate({ ...status, workflowId: d.workflowId }, decision, sign);
      await handle.executeUpdate(update as never, { args: [input as never] });
      return 'The exception workflow recorded it.';
    },
  };
}
