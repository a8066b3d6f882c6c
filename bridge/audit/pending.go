package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/store"
)

// Enqueue writes a record to the pending queue inside the caller's
// transaction: it commits or rolls back with the state it describes, like
// Append, but takes no lock. Seal later chains it. Use it on hot paths;
// the record is durable at commit and chained within moments.
func (l *Log) Enqueue(ctx context.Context, tx *sql.Tx, kind string, ref bridge.Ref, at time.Time, data any) error {
	if kind == "" {
		return errors.New("audit: enqueue: empty kind")
	}
	raw, err := encodeData(data)
	if err != nil {
		return fmt.Errorf("audit: enqueue %s: %w", kind, err)
	}
	if at.IsZero() {
		at = time.Now()
	}
	_, err = tx.ExecContext(ctx, l.st.Rebind(`INSERT INTO audit_pending (at, kind, source, ticket_key, data) VALUES (?, ?, ?, ?, ?)`),
		l.st.TimeValue(store.Norm(at)), kind, ref.Source, ref.Key, string(raw))
	if err != nil {
		return fmt.Errorf("audit: enqueue %s: %w", kind, err)
	}
	return nil
}

// Seal chains up to max pending records, oldest first, in one transaction
// that holds the head lock once for the whole batch. Several replicas may
// call it at once: the head lock serializes them and a record is chained
// exactly once, since it leaves the queue in the transaction that chains it.
func (l *Log) Seal(ctx context.Context, max int) (int, error) {
	n := 0
	err := l.st.InTx(ctx, func(tx *sql.Tx) error {
		n = 0
		head, prev, err := l.lockHead(ctx, tx)
		if err != nil {
			return err
		}
		batch, ids, err := l.pending(ctx, tx, max)
		if err != nil || len(batch) == 0 {
			return err
		}
		for i := range batch {
			rec := &batch[i]
			rec.Seq, rec.PrevHash = head+int64(i)+1, prev
			rec.Hash = Hash(*rec)
			if l.key != nil {
				rec.Sig = Sign(l.key, rec.Hash)
			}
			prev = rec.Hash
			if err := l.insertRecord(ctx, tx, *rec); err != nil {
				return err
			}
		}
		last := batch[len(batch)-1]
		if _, err := tx.ExecContext(ctx, l.st.Rebind(`UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`), last.Seq, last.Hash); err != nil {
			return fmt.Errorf("audit: seal: move head: %w", err)
		}
		if err := l.dequeue(ctx, tx, ids); err != nil {
			return err
		}
		n = len(batch)
		return nil
	})
	return n, err
}

// Pending counts records waiting to be chained.
func (l *Log) Pending(ctx context.Context) (int, error) {
	var n int
	err := l.st.ReadDB().QueryRowContext(ctx, `SELECT count(*) FROM audit_pending`).Scan(&n)
	return n, err
}

func (l *Log) lockHead(ctx context.Context, tx *sql.Tx) (int64, string, error) {
	q := "SELECT seq, hash FROM audit_head WHERE id = 1"
	if l.st.Dialect() == store.Postgres {
		q += " FOR UPDATE"
	}
	var seq int64
	var hash string
	if err := tx.QueryRowContext(ctx, q).Scan(&seq, &hash); err != nil {
		return 0, "", fmt.Errorf("audit: read head: %w", err)
	}
	return seq, hash, nil
}

// pending reads the oldest queued records. A transaction still open may
// commit a lower id meanwhile: it is sealed next time, which is why
// dequeue removes exactly the ids read, never a range.
func (l *Log) pending(ctx context.Context, tx *sql.Tx, max int) ([]Record, []int64, error) {
	rows, err := tx.QueryContext(ctx, l.st.Rebind(`SELECT id, at, kind, source, ticket_key, data FROM audit_pending ORDER BY id LIMIT ?`), max)
	if err != nil {
		return nil, nil, fmt.Errorf("audit: seal: read queue: %w", err)
	}
	defer rows.Close()
	var recs []Record
	var ids []int64
	for rows.Next() {
		var (
			r    Record
			id   int64
			data string
		)
		if err := rows.Scan(&id, store.TimeScanner(&r.At), &r.Kind, &r.Source, &r.Key, &data); err != nil {
			return nil, nil, fmt.Errorf("audit: seal: read queue: %w", err)
		}
		r.Data = []byte(data)
		recs, ids = append(recs, r), append(ids, id)
	}
	return recs, ids, rows.Err()
}

// insertRecord writes one chained record (the head moves once per batch).
func (l *Log) insertRecord(ctx context.Context, tx *sql.Tx, rec Record) error {
	_, err := tx.ExecContext(ctx, l.st.Rebind(`INSERT INTO audit_log (seq, at, kind, source, ticket_key, data, prev_hash, hash, sig)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		rec.Seq, l.st.TimeValue(rec.At), rec.Kind, rec.Source, rec.Key, string(rec.Data), rec.PrevHash, rec.Hash, rec.Sig)
	if err != nil {
		return fmt.Errorf("audit: seal record %d: %w", rec.Seq, err)
	}
	return nil
}

func (l *Log) dequeue(ctx context.Context, tx *sql.Tx, ids []int64) error {
	q := make([]byte, 0, 48+2*len(ids))
	q = append(q, "DELETE FROM audit_pending WHERE id IN ("...)
	args := make([]any, len(ids))
	for i, id := range ids {
		if i > 0 {
			q = append(q, ',')
		}
		q = append(q, '?')
		args[i] = id
	}
	q = append(q, ')')
	if _, err := tx.ExecContext(ctx, l.st.Rebind(string(q)), args...); err != nil {
		return fmt.Errorf("audit: seal: dequeue: %w", err)
	}
	return nil
}
