-- Audit records waiting to be chained. A verdict's transaction writes its
-- record here without touching audit_head; the sealer chains pending
-- records in batches under the head lock, so appenders across replicas
-- no longer queue one commit at a time on that lock.
CREATE TABLE audit_pending (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    source     TEXT NOT NULL DEFAULT '',
    ticket_key TEXT NOT NULL DEFAULT '',
    data       TEXT NOT NULL
);
