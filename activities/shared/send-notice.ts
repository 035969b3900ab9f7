import { createHash, randomBytes } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { webEnvSchema } from '../../config/env-schema';
import { approvalLinkParagraph, personalMessageId, type Notice, type NoticeChat, type NoticeDecision } from '../../domain/notices';
import { isPermanentChatFailure } from '../adapters/chat/chat-webhook';
import type { ActivityDeps } from '../deps';
import type { MailMessage } from '../ports';
import { issueApprovalLink } from '../store/approval-link-store';
import { wasMailSent } from '../store/mail-ledger-store';

/** Where the approval page is reached and how long its links live; absent → mails carry CLI commands only. */
export interface ApprovalLinkSettings {
  /** The page's public base URL, e.g. https://approve.msp.example (links are `<base>/approve/<token>`). */
  publicUrl: string;
  ttlMs: number;
}

/**
 * The worker's link settings from the environment (PATCHCTL_WEB_PUBLIC_URL, PATCHCTL_APPROVAL_LINK_TTL):
 * without a public URL there is no page to link to, and decision mails carry the CLI commands only.
 */
export function approvalLinkSettings(env: NodeJS.ProcessEnv): ApprovalLinkSettings | undefined {
  const parsed = webEnvSchema.parse(env);
  return parsed.PATCHCTL_WEB_PUBLIC_URL ? { publicUrl: parsed.PATCHCTL_WEB_PUBLIC_URL, ttlMs: parsed.PATCHCTL_APPROVAL_LINK_TTL } : undefined;
}

/** What the store keeps of a link's token: its SHA-256, so a database reader cannot act on a decision. */
export function approvalTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function currentActivity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/**
 * Attempts after which a chat outage stops holding the notice back: the mail is out, and a cycle
 * must not wait on Slack or Teams. Until then a 429 or 5xx retries the activity (ledgers keep the
 * mail and every channel that already took the message from getting it twice).
 */
export const CHAT_ATTEMPTS = 5;

async function postToChat(deps: ActivityDeps, notice: MailMessage, chat: NoticeChat): Promise<void> {
  const events = deps.policy.clients.find((c) => c.id === chat.clientId)?.chat?.events ?? [];
  if (!deps.chatFor || !events.includes(chat.event)) return;
  const activity = currentActivity();
  const attempt = activity?.info.attempt ?? 1;
  for (const channel of deps.chatFor(chat.clientId)) {
    try {
      await channel.post({ key: notice.messageId, title: notice.subject.replace(/^\[patchctl\] /, ''), text: notice.text });
    } catch (error) {
      if (!isPermanentChatFailure(error) && attempt < CHAT_ATTEMPTS) throw error;
      // Refused for good (or out of attempts): said in the worker log, never a halt of the cycle.
      activity?.log.warn(`chat notice not delivered to ${channel.kind}: ${(error as Error).message}`);
    }
  }
}

/**
 * One mail per recipient, each with its own one-time link. The token is made here, stored hashed and
 * put only in the mail: the activity's input (the notice) and its result (nothing) are all that
 * history sees. A retry after a sent copy sends nothing; a retry before it replaces the unsent link.
 */
async function sendWithLinks(deps: ActivityDeps, links: ApprovalLinkSettings, notice: MailMessage, decision: NoticeDecision, workflowId: string): Promise<void> {
  const ttlEnd = Date.now() + links.ttlMs;
  const pendingUntil = decision.pendingUntil ? Date.parse(decision.pendingUntil) : Number.POSITIVE_INFINITY;
  const expiresAt = new Date(Math.min(ttlEnd, pendingUntil));
  const base = links.publicUrl.replace(/\/+$/, '');
  for (const person of [...new Set(notice.to)]) {
    const messageId = personalMessageId(notice.messageId, person);
    if (await wasMailSent(deps.db, messageId)) continue;
    const token = randomBytes(32).toString('base64url');
    await issueApprovalLink(deps.db, { tokenHash: approvalTokenHash(token), messageId, person, workflowId, kind: decision.kind, subject: decision.subject, expiresAt });
    const text = notice.text + approvalLinkParagraph(`${base}/approve/${token}`, expiresAt.toISOString());
    await deps.mailer.send({ ...notice, messageId, to: [person], text });
  }
}

/** Mails a notice built in domain/notices.ts; a notice to nobody is no error. */
export async function sendNotice(deps: ActivityDeps, notice: Notice & Pick<MailMessage, 'attachments'>): Promise<void> {
  if (notice.to.length === 0) return;
  const { decision, chat, ...message } = notice;
  const workflowId = currentActivity()?.info.workflowExecution?.workflowId;
  if (decision && deps.approvalLinks && workflowId) {
    await sendWithLinks(deps, deps.approvalLinks, message, decision, workflowId);
  } else {
    await deps.mailer.send(message);
  }
  if (chat) await postToChat(deps, message, chat);
}
