package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Delivery statuses.
const (
	DeliveryAccepted  = "accepted"
	DeliveryDuplicate = "duplicate"
	DeliveryRejected  = "rejected"
	DeliveryIgnored   = "ignored"
)

// MaxDeliveryBody caps the body kept with a rejected or ignored delivery.
const MaxDeliveryBody = 64 << 10

// Delivery is one webhook or Slack request received, accepted or not.
type Delivery struct {
	ID         int64
	Source     string
	DeliveryID string
	Status     string // accepted | duplicate | rejected | ignored
	Reason     string
	Remote     string
	Body       []byte // kept (capped) for rejected and ignored deliveries only
	ReceivedAt time.Time
}

// InsertDelivery records d. An accepted delivery is recorded once per
// (source, delivery id): fresh is false, and nothing is written, when that
// pair was accepted before. Other statuses are always recorded, fresh true.
// Accepted bodies are not kept: their events travel in the job.
func (s *Store) InsertDelivery(ctx context.Context, q Querier, d Delivery) (fresh bool, err error) {
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = time.Now()
	}
	var body []byte
	switch d.Status {
	case DeliveryAccepted, DeliveryDuplicate:
	case DeliveryRejected, DeliveryIgnored:
		body = d.Body[:min(len(d.Body), MaxDeliveryBody)]
	default:
		return false, fmt.Errorf("store: delivery status %q: want accepted, duplicate, rejected or ignored", d.Status)
	}
	query := `INSERT INTO deliveries (source, delivery_id, status, reason, remote, body, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`
	if d.Status == DeliveryAccepted {
		query += ` ON CONFLICT (source, delivery_id) WHERE status = 'accepted' DO NOTHING`
	}
	res, err := q.ExecContext(ctx, s.Rebind(query),
		d.Source, d.DeliveryID, d.Status, d.Reason, d.Remote, body, s.TimeValue(d.ReceivedAt))
	if err != nil {
		return false, fmt.Errorf("store: insert delivery: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: insert delivery: %w", err)
	}
	return n == 1, nil
}

// Deliveries lists the newest deliveries, optionally filtered by source and
// status ("" = any); limit <= 0 means 100.
func (s *Store) Deliveries(ctx context.Context, source, status string, limit int) ([]Delivery, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.read.QueryContext(ctx, s.Rebind(`SELECT id, source, delivery_id, status, reason, remote, body, received_at
		FROM deliveries
		WHERE (? = '' OR source = ?) AND (? = '' OR status = ?)
		ORDER BY id DESC LIMIT ?`), source, source, status, status, limit)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		if err := rows.Scan(&d.ID, &d.Source, &d.DeliveryID, &d.Status, &d.Reason, &d.Remote, &d.Body, TimeScanner(&d.ReceivedAt)); err != nil {
			return nil, fmt.Errorf("store: deliveries: %w", err)
		}
		out = append(out, d)
	}
	return out, rowsErr(rows, "deliveries")
}

// CountDeliveries counts deliveries by status.
func (s *Store) CountDeliveries(ctx context.Context) (map[string]int, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT status, COUNT(*) FROM deliveries GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("store: count deliveries: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("store: count deliveries: %w", err)
		}
		out[st] = n
	}
	return out, rowsErr(rows, "count deliveries")
}

// PruneDeliveries deletes deliveries received before cutoff (retention).
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.Rebind(`DELETE FROM deliveries WHERE received_at < ?`), s.TimeValue(before))
	if err != nil {
		return 0, fmt.Errorf("store: prune deliveries: %w", err)
	}
	return res.RowsAffected()
}

func rowsErr(rows *sql.Rows, what string) error {
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	return nil
}

// InsertAccepted records a batch of accepted deliveries in one statement
// and reports, per delivery, whether it is fresh: not accepted before and
// not repeated earlier in the batch. It is InsertDelivery for many, with
// one round trip instead of one per delivery.
func (s *Store) InsertAccepted(ctx context.Context, q Querier, ds []Delivery) ([]bool, error) {
	fresh := make([]bool, len(ds))
	if len(ds) == 0 {
		return fresh, nil
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO deliveries (source, delivery_id, status, reason, remote, body, received_at) VALUES `)
	args := make([]any, 0, 7*len(ds))
	now := time.Now()
	for i, d := range ds {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?, ?, ?, ?, ?, NULL, ?)")
		at := d.ReceivedAt
		if at.IsZero() {
			at = now
		}
		args = append(args, d.Source, d.DeliveryID, DeliveryAccepted, d.Reason, d.Remote, s.TimeValue(at))
	}
	b.WriteString(` ON CONFLICT (source, delivery_id) WHERE status = 'accepted' DO NOTHING RETURNING source, delivery_id`)
	rows, err := q.QueryContext(ctx, s.Rebind(b.String()), args...)
	if err != nil {
		return nil, fmt.Errorf("store: insert deliveries: %w", err)
	}
	defer rows.Close()
	inserted := map[[2]string]bool{}
	for rows.Next() {
		var k [2]string
		if err := rows.Scan(&k[0], &k[1]); err != nil {
			return nil, fmt.Errorf("store: insert deliveries: %w", err)
		}
		inserted[k] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: insert deliveries: %w", err)
	}
	for i, d := range ds {
		k := [2]string{d.Source, d.DeliveryID}
		fresh[i] = inserted[k]
		delete(inserted, k) // a repeat later in the batch is a duplicate
	}
	return fresh, nil
}
