package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
)

// TicketState is what the bridge remembers about one ticket: its last
// verdict and what reverting a gated transition needs.
type TicketState struct {
	Source        string
	Key           string
	URL           string
	Project       string
	Summary       string
	Requester     string // directory email
	Status        string // status last seen
	AllowedStatus string // last status the verdict allowed: where a revert goes back to
	Verdict       string
	Digest        string // verdict digest
	Category      string
	Impact        string
	Rule          string
	Missing       []string
	Decision      json.RawMessage // on PostgreSQL stored as JSONB: same value, not same bytes
	Open          bool
	AuditSeq      int64 // audit record of the last verdict, when the caller knows it (the pipeline chains records after commit and leaves it 0; the evidence page reads the ticket's records)
	Evaluations   int
	CreatedAt     time.Time // ticket created upstream
	FirstSeen     time.Time // first seen by the bridge; kept by PutTicket once set
	DecidedAt     time.Time // last verdict change
	UpdatedAt     time.Time
}

// Ref names the ticket.
func (t TicketState) Ref() bridge.Ref { return bridge.Ref{Source: t.Source, Key: t.Key} }

const ticketColumns = `source, ticket_key, url, project, summary, requester, status, allowed_status,
	verdict, digest, category, impact, rule, missing, decision, is_open, audit_seq, evaluations,
	created_at, first_seen, decided_at, updated_at`

// Ticket reads one ticket's state; found is false when the bridge has none.
func (s *Store) Ticket(ctx context.Context, q Querier, ref bridge.Ref) (TicketState, bool, error) {
	row := q.QueryRowContext(ctx, s.Rebind(`SELECT `+ticketColumns+` FROM tickets WHERE source = ? AND ticket_key = ?`),
		ref.Source, ref.Key)
	t, err := scanTicket(row)
	if errors.Is(err, sql.ErrNoRows) {
		return TicketState{}, false, nil
	}
	if err != nil {
		return TicketState{}, false, fmt.Errorf("store: ticket %s: %w", ref, err)
	}
	return t, true, nil
}

// PutTicket inserts or replaces a ticket's state. FirstSeen keeps its first
// value; zero FirstSeen and UpdatedAt become now.
func (s *Store) PutTicket(ctx context.Context, q Querier, t TicketState) error {
	now := time.Now()
	if t.FirstSeen.IsZero() {
		t.FirstSeen = now
	}
	if t.UpdatedAt.IsZero() {
		t.UpdatedAt = now
	}
	missing, err := json.Marshal(nonNil(t.Missing))
	if err != nil {
		return fmt.Errorf("store: put ticket: %w", err)
	}
	var decision any
	if len(t.Decision) > 0 {
		decision = string(t.Decision)
	}
	_, err = q.ExecContext(ctx, s.Rebind(`INSERT INTO tickets (`+ticketColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (source, ticket_key) DO UPDATE SET
			url = excluded.url, project = excluded.project, summary = excluded.summary,
			requester = excluded.requester, status = excluded.status, allowed_status = excluded.allowed_status,
			verdict = excluded.verdict, digest = excluded.digest, category = excluded.category,
			impact = excluded.impact, rule = excluded.rule, missing = excluded.missing,
			decision = excluded.decision, is_open = excluded.is_open, audit_seq = excluded.audit_seq,
			evaluations = excluded.evaluations, created_at = excluded.created_at,
			decided_at = excluded.decided_at, updated_at = excluded.updated_at`),
		t.Source, t.Key, t.URL, t.Project, t.Summary, t.Requester, t.Status, t.AllowedStatus,
		t.Verdict, t.Digest, t.Category, t.Impact, t.Rule, string(missing), decision, t.Open, t.AuditSeq, t.Evaluations,
		s.NullTimeValue(t.CreatedAt), s.TimeValue(t.FirstSeen), s.NullTimeValue(t.DecidedAt), s.TimeValue(t.UpdatedAt))
	if err != nil {
		return fmt.Errorf("store: put ticket %s: %w", t.Ref(), err)
	}
	return nil
}

// OpenTickets pages through open tickets in (source, key) order, starting
// after the given ref (zero Ref: from the start). source "" means all
// sources; limit <= 0 means 100. Used by reconcile.
func (s *Store) OpenTickets(ctx context.Context, source string, after bridge.Ref, limit int) ([]TicketState, error) {
	if limit <= 0 {
		limit = 100
	}
	var (
		rows *sql.Rows
		err  error
	)
	if source != "" {
		rows, err = s.read.QueryContext(ctx, s.Rebind(`SELECT `+ticketColumns+` FROM tickets
			WHERE is_open AND source = ? AND ticket_key > ?
			ORDER BY ticket_key LIMIT ?`), source, after.Key, limit)
	} else {
		rows, err = s.read.QueryContext(ctx, s.Rebind(`SELECT `+ticketColumns+` FROM tickets
			WHERE is_open AND (source > ? OR (source = ? AND ticket_key > ?))
			ORDER BY source, ticket_key LIMIT ?`), after.Source, after.Source, after.Key, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open tickets: %w", err)
	}
	return collectTickets(rows, "open tickets")
}

// TicketsByRequester lists a requester's tickets (email compared without
// case), newest first.
func (s *Store) TicketsByRequester(ctx context.Context, email string, openOnly bool) ([]TicketState, error) {
	rows, err := s.read.QueryContext(ctx, s.Rebind(`SELECT `+ticketColumns+` FROM tickets
		WHERE lower(requester) = lower(?) AND (is_open OR NOT ?)
		ORDER BY first_seen DESC, source, ticket_key`), email, openOnly)
	if err != nil {
		return nil, fmt.Errorf("store: tickets by requester: %w", err)
	}
	return collectTickets(rows, "tickets by requester")
}

func collectTickets(rows *sql.Rows, what string) ([]TicketState, error) {
	defer rows.Close()
	var out []TicketState
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", what, err)
		}
		out = append(out, t)
	}
	return out, rowsErr(rows, what)
}

type rowScanner interface{ Scan(dest ...any) error }

func scanTicket(r rowScanner) (TicketState, error) {
	var (
		t        TicketState
		missing  string
		decision sql.NullString
	)
	err := r.Scan(&t.Source, &t.Key, &t.URL, &t.Project, &t.Summary, &t.Requester, &t.Status, &t.AllowedStatus,
		&t.Verdict, &t.Digest, &t.Category, &t.Impact, &t.Rule, &missing, &decision, &t.Open, &t.AuditSeq, &t.Evaluations,
		TimeScanner(&t.CreatedAt), TimeScanner(&t.FirstSeen), TimeScanner(&t.DecidedAt), TimeScanner(&t.UpdatedAt))
	if err != nil {
		return t, err
	}
	if err := json.Unmarshal([]byte(missing), &t.Missing); err != nil {
		return t, fmt.Errorf("missing: %w", err)
	}
	if decision.Valid {
		t.Decision = json.RawMessage(decision.String)
	}
	return t, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
