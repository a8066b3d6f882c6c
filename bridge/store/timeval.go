package store

import (
	"database/sql"
	"fmt"
	"time"
)

// sqliteTime is the one format times are stored in on SQLite: UTC,
// microseconds, fixed width, so text comparison orders by time.
const sqliteTime = "2006-01-02T15:04:05.000000Z"

// Norm is a time as the store keeps it: UTC, truncated to microseconds
// (PostgreSQL's precision). Hash anything stored with this first.
func Norm(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// TimeValue encodes t as a query argument for this store's dialect.
func (s *Store) TimeValue(t time.Time) any {
	t = Norm(t)
	if s.dialect == SQLite {
		return t.Format(sqliteTime)
	}
	return t
}

// NullTimeValue is TimeValue with the zero time as NULL.
func (s *Store) NullTimeValue(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return s.TimeValue(t)
}

// TimeScanner scans a stored time (either dialect, NULL as zero) into dst.
func TimeScanner(dst *time.Time) sql.Scanner { return timeScanner{dst} }

type timeScanner struct{ dst *time.Time }

func (ts timeScanner) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*ts.dst = time.Time{}
	case time.Time:
		*ts.dst = v.UTC()
	case string:
		return ts.parse(v)
	case []byte:
		return ts.parse(string(v))
	default:
		return fmt.Errorf("store: cannot scan %T as time", src)
	}
	return nil
}

func (ts timeScanner) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("store: stored time %q: %w", s, err)
	}
	*ts.dst = t.UTC()
	return nil
}
