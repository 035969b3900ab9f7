-- Up Migration

-- One-time links to the approval page. Only the SHA-256 of a link's token is kept: whoever reads this
-- table (a backup, a replica) cannot act on a pending decision. A link is bound to one decision of one
-- workflow and to one person; it is spent once, refused after expires_at, and its confirmation code
-- (mailed to the bound person when the page is opened) is kept hashed too, with the browser session it
-- was issued to and the wrong guesses so far.
CREATE TABLE approval_links (
  token_hash     text PRIMARY KEY,
  message_id     text NOT NULL,
  person         text NOT NULL,
  workflow_id    text NOT NULL,
  decision_kind  text NOT NULL,
  subject        text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL,
  superseded_at  timestamptz,
  code_hash      text,
  code_session   text,
  code_sent_at   timestamptz,
  code_attempts  integer NOT NULL DEFAULT 0,
  used_at        timestamptz,
  used_decision  text
);
CREATE INDEX approval_links_by_message ON approval_links (message_id, person);

-- Down Migration

DROP TABLE approval_links;
