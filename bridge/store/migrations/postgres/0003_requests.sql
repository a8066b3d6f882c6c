-- Requests the bridge itself filed (Slack). The requester here was verified
-- by the bridge; the ticket's reporter may be the bridge's own account.
CREATE TABLE requests (
    source     TEXT NOT NULL,
    ticket_key TEXT NOT NULL,
    requester  TEXT NOT NULL,
    subject    TEXT NOT NULL DEFAULT '',
    channel    TEXT NOT NULL DEFAULT '',
    data       TEXT NOT NULL,
    PRIMARY KEY (source, ticket_key)
);
