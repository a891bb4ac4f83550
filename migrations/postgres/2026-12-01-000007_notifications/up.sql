-- The notification outbox: each row is one message to deliver (an e-mail, an SMS or a webhook
-- call), written in the same transaction as the dossier change it tells of, and delivered by
-- the workers with retries until sent or dead.
CREATE TABLE notifications (
  id BYTEA PRIMARY KEY,
  channel TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'webhook')),
  kind TEXT NOT NULL,
  recipient TEXT NOT NULL,
  dossier_id BYTEA REFERENCES dossiers (id),
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMP NOT NULL,
  last_error TEXT,
  dedup_key TEXT UNIQUE,
  created_at TIMESTAMP NOT NULL,
  sent_at TIMESTAMP
);
CREATE INDEX notifications_pending ON notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_dossier ON notifications (dossier_id);
CREATE INDEX notifications_sent ON notifications (sent_at) WHERE status = 'sent';
CREATE INDEX notifications_dead ON notifications (channel) WHERE status = 'dead';

-- Systems told of dossier changes by signed webhook calls.
CREATE TABLE webhook_subscriptions (
  id BYTEA PRIMARY KEY,
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  events TEXT NOT NULL,
  active BOOLEAN NOT NULL DEFAULT TRUE,
  created_at TIMESTAMP NOT NULL
);
