package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Cursor is where a source's poll resumes; "" before the first poll.
func (s *Store) Cursor(ctx context.Context, source string) (string, error) {
	var c string
	err := s.read.QueryRowContext(ctx, s.Rebind(`SELECT cursor_value FROM cursors WHERE source = ?`), source).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: cursor %s: %w", source, err)
	}
	return c, nil
}

// SetCursor stores a source's poll cursor, in the transaction that also
// records what the poll found.
func (s *Store) SetCursor(ctx context.Context, q Querier, source, cursor string) error {
	_, err := q.ExecContext(ctx, s.Rebind(`INSERT INTO cursors (source, cursor_value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (source) DO UPDATE SET cursor_value = excluded.cursor_value, updated_at = excluded.updated_at`),
		source, cursor, s.TimeValue(time.Now()))
	if err != nil {
		return fmt.Errorf("store: set cursor %s: %w", source, err)
	}
	return nil
}
