-- Up Migration

-- Mail already handed to the relay, by our deterministic Message-ID: a retried notice activity (its
-- first attempt sent the mail, then timed out or lost its worker) must not mail the approvers twice.
CREATE TABLE mail_sent (
  message_id text PRIMARY KEY,
  recipients integer NOT NULL,
  sent_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration

DROP TABLE mail_sent;
