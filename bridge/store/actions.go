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

// ActionRow is an action done, as recorded under its idempotency key.
type ActionRow struct {
	Key    string
	Action bridge.Action
	Result bridge.ActionResult
	At     time.Time
}

// ActionDone reports whether the action with this idempotency key was done.
func (s *Store) ActionDone(ctx context.Context, q Querier, key string) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, s.Rebind(`SELECT 1 FROM actions WHERE idem_key = ?`), key).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: action done: %w", err)
	}
	return true, nil
}

// MarkAction records that an action was done and what the upstream said.
// Marking the same key again changes nothing: the first result stands.
func (s *Store) MarkAction(ctx context.Context, q Querier, key string, a bridge.Action, r bridge.ActionResult) error {
	aj, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("store: mark action: %w", err)
	}
	rj, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("store: mark action: %w", err)
	}
	_, err = q.ExecContext(ctx, s.Rebind(`INSERT INTO actions (idem_key, source, ticket_key, kind, digest, action, result, done_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idem_key) DO NOTHING`),
		key, a.Ticket.Source, a.Ticket.Key, a.Kind, a.Digest, string(aj), string(rj), s.TimeValue(time.Now()))
	if err != nil {
		return fmt.Errorf("store: mark action %s: %w", a.Ticket, err)
	}
	return nil
}

// Actions lists the actions done on a ticket, oldest first.
func (s *Store) Actions(ctx context.Context, ref bridge.Ref) ([]ActionRow, error) {
	rows, err := s.read.QueryContext(ctx, s.Rebind(`SELECT idem_key, action, result, done_at FROM actions
		WHERE source = ? AND ticket_key = ? ORDER BY done_at, idem_key`), ref.Source, ref.Key)
	if err != nil {
		return nil, fmt.Errorf("store: actions %s: %w", ref, err)
	}
	defer rows.Close()
	var out []ActionRow
	for rows.Next() {
		var (
			r      ActionRow
			aj, rj string
		)
		if err := rows.Scan(&r.Key, &aj, &rj, TimeScanner(&r.At)); err != nil {
			return nil, fmt.Errorf("store: actions %s: %w", ref, err)
		}
		if err := json.Unmarshal([]byte(aj), &r.Action); err != nil {
			return nil, fmt.Errorf("store: actions %s: %w", ref, err)
		}
		if err := json.Unmarshal([]byte(rj), &r.Result); err != nil {
			return nil, fmt.Errorf("store: actions %s: %w", ref, err)
		}
		out = append(out, r)
	}
	return out, rowsErr(rows, "actions")
}

// ActionResult returns what the upstream answered to the action done under
// key, and whether it was done.
func (s *Store) ActionResult(ctx context.Context, key string) (bridge.ActionResult, bool, error) {
	var rj string
	err := s.read.QueryRowContext(ctx, s.Rebind(`SELECT result FROM actions WHERE idem_key = ?`), key).Scan(&rj)
	if errors.Is(err, sql.ErrNoRows) {
		return bridge.ActionResult{}, false, nil
	}
	if err != nil {
		return bridge.ActionResult{}, false, fmt.Errorf("store: action result: %w", err)
	}
	var r bridge.ActionResult
	if err := json.Unmarshal([]byte(rj), &r); err != nil {
		return bridge.ActionResult{}, false, fmt.Errorf("store: action result: %w", err)
	}
	return r, true, nil
}
