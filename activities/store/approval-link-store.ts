import type { Queryable } from './pool';

// Every SQL statement of the approval page's one-time links. Tokens and confirmation codes arrive
// here already hashed (the caller holds the secret for as long as one mail or one page takes).

export type ApprovalLinkKind = 'promotion' | 'gate' | 'exception-signoff' | 'exception-approve';

export interface ApprovalLinkRow {
  tokenHash: string;
  messageId: string;
  person: string;
  workflowId: string;
  kind: ApprovalLinkKind;
  subject: string;
  createdAt: Date;
  expiresAt: Date;
  supersededAt: Date | null;
  codeHash: string | null;
  codeSession: string | null;
  codeSentAt: Date | null;
  codeAttempts: number;
  usedAt: Date | null;
  usedDecision: string | null;
}

interface Row {
  token_hash: string;
  message_id: string;
  person: string;
  workflow_id: string;
  decision_kind: ApprovalLinkKind;
  subject: string;
  created_at: Date;
  expires_at: Date;
  superseded_at: Date | null;
  code_hash: string | null;
  code_session: string | null;
  code_sent_at: Date | null;
  code_attempts: number;
  used_at: Date | null;
  used_decision: string | null;
}

function fromRow(r: Row): ApprovalLinkRow {
  return {
    tokenHash: r.token_hash,
    messageId: r.message_id,
    person: r.person,
    workflowId: r.workflow_id,
    kind: r.decision_kind,
    subject: r.subject,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    supersededAt: r.superseded_at,
    codeHash: r.code_hash,
    codeSession: r.code_session,
    codeSentAt: r.code_sent_at,
    codeAttempts: r.code_attempts,
    usedAt: r.used_at,
    usedDecision: r.used_decision,
  };
}

export interface NewApprovalLink {
  tokenHash: string;
  messageId: string;
  person: string;
  workflowId: string;
  kind: ApprovalLinkKind;
  subject: string;
  expiresAt: Date;
}

/**
 * Stores a new link and retires any earlier one for the same mail and person: an earlier attempt of
 * the notice activity made it, and its mail was never sent (the sent-ledger says so), so nobody holds it.
 */
export async function issueApprovalLink(db: Queryable, link: NewApprovalLink): Promise<void> {
  await db.query(`UPDATE approval_links SET superseded_at = now() WHERE message_id = $1 AND person = $2 AND superseded_at IS NULL AND used_at IS NULL`, [link.messageId, link.person]);
  await db.query(
    `INSERT INTO approval_links (token_hash, message_id, person, workflow_id, decision_kind, subject, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [link.tokenHash, link.messageId, link.person, link.workflowId, link.kind, link.subject, link.expiresAt],
  );
}

export async function findApprovalLink(db: Queryable, tokenHash: string): Promise<ApprovalLinkRow | undefined> {
  const { rows } = await db.query<Row>('SELECT * FROM approval_links WHERE token_hash = $1', [tokenHash]);
  return rows[0] ? fromRow(rows[0]) : undefined;
}

/** A fresh confirmation code for this link and browser session; any earlier code stops working. */
export async function setConfirmationCode(db: Queryable, tokenHash: string, codeHash: string, session: string): Promise<void> {
  await db.query(`UPDATE approval_links SET code_hash = $2, code_session = $3, code_sent_at = now() WHERE token_hash = $1 AND used_at IS NULL`, [tokenHash, codeHash, session]);
}

export async function countWrongCode(db: Queryable, tokenHash: string): Promise<number> {
  const { rows } = await db.query<{ code_attempts: number }>(`UPDATE approval_links SET code_attempts = code_attempts + 1 WHERE token_hash = $1 RETURNING code_attempts`, [tokenHash]);
  return rows[0]?.code_attempts ?? 0;
}

/**
 * Spends the link, atomically: of two posts racing with the same link exactly one gets `true`. Only a
 * live link with this code for this session can be spent.
 */
export async function spendApprovalLink(db: Queryable, spend: { tokenHash: string; codeHash: string; session: string; decision: string; maxCodeAgeSeconds: number; maxAttempts: number }): Promise<boolean> {
  const result = await db.query(
    `UPDATE approval_links SET used_at = now(), used_decision = $4
      WHERE token_hash = $1 AND used_at IS NULL AND superseded_at IS NULL AND expires_at > now()
        AND code_hash = $2 AND code_session = $3 AND code_attempts < $6
        AND code_sent_at > now() - make_interval(secs => $5)`,
    [spend.tokenHash, spend.codeHash, spend.session, spend.decision, spend.maxCodeAgeSeconds, spend.maxAttempts],
  );
  return (result.rowCount ?? 0) === 1;
}

/**
 * Gives a spent link back when its decision never reached the workflow (Temporal unreachable): the
 * person may try again. A decision the workflow refused keeps the link spent.
 */
export async function releaseApprovalLink(db: Queryable, tokenHash: string): Promise<void> {
  await db.query(`UPDATE approval_links SET used_at = NULL, used_decision = NULL WHERE token_hash = $1`, [tokenHash]);
}
