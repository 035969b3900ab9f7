-- Up Migration

-- Chat messages (Slack, Teams incoming webhooks) already accepted, by delivery key (the notice's
-- Message-ID and the channel): a retried notice activity posts each message to each channel once.
CREATE TABLE chat_sent (
  delivery_key text PRIMARY KEY,
  channel      text NOT NULL,
  sent_at      timestamptz NOT NULL DEFAULT now()
);

-- Down Migration

DROP TABLE chat_sent;
