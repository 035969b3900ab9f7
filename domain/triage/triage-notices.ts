import type { Notice } from '../notices';
import type { CredentialTriageInput, TriageStepName } from './triage';

// Mail texts of credential-alert triage, plain language for a client owner who is not an analyst.
// Message ids are deterministic, so a retried send is recognisably the same message.

function id(input: CredentialTriageInput, what: string): string {
  return `<triage.${input.clientId}.${input.triageId}.${what}@patchctl>`;
}

const ref = (input: CredentialTriageInput) => `${input.clientId}/${input.triageId}`;

export function triageOwnerNotice(input: CredentialTriageInput, owner: string, actions: string[], ticketId: string | undefined): Notice {
  return {
    messageId: id(input, 'owner'),
    to: [owner],
    subject: `[patchctl] Security alert for ${input.user}: account secured`,
    text:
      `Our monitoring reported a possible credential problem for ${input.user} (${input.kind}).\n` +
      `${input.summary ? `What was seen: ${input.summary}\n` : ''}` +
      `What we did:\n${actions.map((a) => `  - ${a}`).join('\n')}\n` +
      `The user must choose a new password at the next sign-in. Ticket: ${ticketId ?? 'none'}. Reference: ${ref(input)}.\n`,
  };
}

export function triagePersonRequest(input: CredentialTriageInput, to: string[], reason: string, decideBy: string): Notice {
  return {
    messageId: id(input, 'person'),
    to,
    subject: `[patchctl] Credential alert for ${input.user} needs a person`,
    text:
      `${reason}.\nAlert: ${input.kind}${input.summary ? ` — ${input.summary}` : ''}\n` +
      `Decide before ${decideBy}:\n` +
      `  patchctl triage resolve ${ref(input)} --resolution reset|handled|dismiss --as <you> [--comment "..."]\n`,
  };
}

export function triageEscalation(input: CredentialTriageInput, to: string[], step: TriageStepName, deadline: string, slaDeadline: string): Notice {
  return {
    messageId: id(input, `escalation.${step}`),
    to,
    subject: `[patchctl] ESCALATION: credential triage ${ref(input)} missed its ${step} deadline`,
    text: `Triage of the alert for ${input.user} (${input.kind}) has not finished its ${step} step, due ${deadline}.\nThe triage SLA ends ${slaDeadline}.\n  patchctl triage status ${ref(input)}\n`,
  };
}

export function triageEnded(input: CredentialTriageInput, to: string[], state: string, outcome: string): Notice {
  return {
    messageId: id(input, `ended.${state}`),
    to,
    subject: `[patchctl] Credential triage ${ref(input)} ${state}`,
    text: `${outcome}\n  patchctl triage status ${ref(input)}\n`,
  };
}
