-- Times are TEXT in one fixed-width UTC format (2006-01-02T15:04:05.000000Z)
-- so that text order is time order; see timeval.go.

CREATE TABLE deliveries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    source      TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    status      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    remote      TEXT NOT NULL DEFAULT '',
    body        BLOB,
    received_at TEXT NOT NULL
);
-- Dedupe: a delivery id is accepted once per source.
CREATE UNIQUE INDEX deliveries_accepted ON deliveries (source, delivery_id) WHERE status = 'accepted';
CREATE INDEX deliveries_source_status ON deliveries (source, status, id);
CREATE INDEX deliveries_received_at ON deliveries (received_at);

CREATE TABLE tickets (
    source         TEXT NOT NULL,
    ticket_key     TEXT NOT NULL,
    url            TEXT NOT NULL DEFAULT '',
    project        TEXT NOT NULL DEFAULT '',
    summary        TEXT NOT NULL DEFAULT '',
    requester      TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL DEFAULT '',
    allowed_status TEXT NOT NULL DEFAULT '',
    verdict        TEXT NOT NULL DEFAULT '',
    digest         TEXT NOT NULL DEFAULT '',
    category       TEXT NOT NULL DEFAULT '',
    impact         TEXT NOT NULL DEFAULT '',
    rule           TEXT NOT NULL DEFAULT '',
    missing        TEXT NOT NULL DEFAULT '[]',
    decision       TEXT,
    is_open        BOOLEAN NOT NULL DEFAULT 1,
    audit_seq      INTEGER NOT NULL DEFAULT 0,
    evaluations    INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT,
    first_seen     TEXT NOT NULL,
    decided_at     TEXT,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (source, ticket_key)
);
CREATE INDEX tickets_open ON tickets (source, ticket_key) WHERE is_open;
CREATE INDEX tickets_requester ON tickets (lower(requester));

CREATE TABLE approvals (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    source      TEXT NOT NULL,
    ticket_key  TEXT NOT NULL,
    approver    TEXT NOT NULL,
    decision    TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL,
    channel     TEXT NOT NULL DEFAULT '',
    source_user TEXT NOT NULL DEFAULT '',
    digest      TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL,
    UNIQUE (source, ticket_key, approver, channel, decision, digest, source_user, at)
);

CREATE TABLE grants (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    source      TEXT NOT NULL,
    ticket_key  TEXT NOT NULL,
    subject     TEXT NOT NULL,
    resource    TEXT NOT NULL,
    role        TEXT NOT NULL,
    entitlement TEXT NOT NULL,
    granted_at  TEXT NOT NULL,
    expires_at  TEXT,
    revoked_at  TEXT
);
-- One active grant per (ticket, subject, resource, role).
CREATE UNIQUE INDEX grants_active ON grants (source, ticket_key, subject, resource, role) WHERE revoked_at IS NULL;
CREATE INDEX grants_due ON grants (expires_at) WHERE revoked_at IS NULL AND expires_at IS NOT NULL;
CREATE INDEX grants_ticket ON grants (source, ticket_key);

CREATE TABLE cursors (
    source       TEXT PRIMARY KEY,
    cursor_value TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE actions (
    idem_key   TEXT PRIMARY KEY,
    source     TEXT NOT NULL,
    ticket_key TEXT NOT NULL,
    kind       TEXT NOT NULL,
    digest     TEXT NOT NULL,
    action     TEXT NOT NULL,
    result     TEXT NOT NULL,
    done_at    TEXT NOT NULL
);
CREATE INDEX actions_ticket ON actions (source, ticket_key, done_at);

CREATE TABLE messages (
    source     TEXT NOT NULL,
    ticket_key TEXT NOT NULL,
    person     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    channel    TEXT NOT NULL DEFAULT '',
    ts         TEXT NOT NULL DEFAULT '',
    sent_at    TEXT NOT NULL,
    PRIMARY KEY (source, ticket_key, person, kind)
);

-- The audit chain (written by package audit). seq is assigned by the
-- appender from audit_head, which also anchors the tail against truncation.
CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    source     TEXT NOT NULL DEFAULT '',
    ticket_key TEXT NOT NULL DEFAULT '',
    data       TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    sig        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_ticket ON audit_log (source, ticket_key, seq);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Append-only: refuse edits through the application's own connection.
-- Someone with file access can still drop these; Verify catches that.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
