package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Size is the space the bridge's data takes: the SQLite file with its WAL,
// or on PostgreSQL the schema's relations (the whole database when no
// schema is set).
func (s *Store) Size(ctx context.Context) (int64, error) {
	if s.dialect == SQLite {
		return s.sqliteSize()
	}
	var n int64
	var err error
	if s.schema != "" {
		err = s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::BIGINT
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`, s.schema).Scan(&n)
	} else {
		err = s.db.QueryRowContext(ctx, "SELECT pg_database_size(current_database())").Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("store: size: %w", err)
	}
	return n, nil
}

func (s *Store) sqliteSize() (int64, error) {
	var total int64
	for _, p := range []string{s.path, s.path + "-wal"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("store: size: %w", err)
		}
		total += fi.Size()
	}
	return total, nil
}
