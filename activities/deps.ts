import type { Pool } from 'pg';
import type { PatchPolicy } from '../config/policy-schema';
import type { ClientAdapters, MailerPort } from './ports';
import type { ChatChannel } from './adapters/chat/chat-webhook';
import type { ApprovalLinkSettings } from './shared/send-notice';

/** What activities are given instead of importing globals: the worker builds these once, tests pass others. */
export interface ActivityDeps {
  db: Pool;
  policy: PatchPolicy;
  adaptersFor(clientId: string): ClientAdapters;
  mailer: MailerPort;
  /**
   * The policy as it is now (the worker re-reads its file); decisions are checked against it.
   * Unset: `policy`, loaded once.
   */
  currentPolicy?: () => PatchPolicy;
  /** Set when `patchctl web` serves the approval page: decision mails then carry one-time links to it. */
  approvalLinks?: ApprovalLinkSettings;
  /** The client's Slack / Teams channels (policy `clients[].chat`), each behind the chat sent-ledger. */
  chatFor?(clientId: string): ChatChannel[];
}
