import type { ExceptionStatus } from '../../../domain/exception/exception';

/** The end that matters for this kind: the hard expiry of a deferral, the review date of a lane. */
export function exceptionEnd(s: { kind: string; expiresAt?: string | null; reviewAt?: string | null }): string | undefined {
  return (s.kind === 'deferral' ? s.expiresAt : s.reviewAt) ?? undefined;
}

/** One line telling the user what happens next and, when someone must act, the command to run. */
export function nextStep(ref: string, s: ExceptionStatus): string {
  if (s.pending?.step === 'signoff') {
    return `next: the client owner ${s.pending.who.join(', ')} signs off by ${s.pending.decideBy}: patchctl exception signoff ${ref} --as ${s.pending.who[0] ?? '<owner>'}`;
  }
  if (s.pending?.step === 'approval') {
    return `next: an MSP approver (${s.pending.who.join(', ') || 'nobody named in policy'}) approves by ${s.pending.decideBy}: patchctl exception approve ${ref} --as <approver>`;
  }
  const end = exceptionEnd(s);
  switch (s.status) {
    case 'active':
      return `active: ${s.hostnames.join(', ')} stay out of patch cycles until ${end ?? '?'}${s.kind === 'isolated-lane' ? ' (review date)' : ' (hard expiry)'}`;
    case 'renewal-pending':
      return `renewal pending; the current ${s.kind === 'deferral' ? 'expiry' : 'review date'} ${end ?? '?'} still holds`;
    case 'review-due':
      return `review due: renew it with \`patchctl exception renew ${ref} --until DATE --reason TEXT --as WHO\` or it expires`;
    case 'expired':
    case 'revoked':
    case 'rejected':
      return `${s.status}: ${s.statusReason ?? ''}`.trim();
    default:
      return 'waiting for the worker to open the ticket; see `patchctl exception show ' + ref + '`';
  }
}
