package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"
	_ "modernc.org/sqlite"             // driver "sqlite"
)

// storeView reads the bridge's store read-only: which tickets have been
// evaluated how often, and with which verdict digest.
type storeView struct {
	db       *sql.DB
	postgres bool
	path     string // SQLite file
	schema   string // PostgreSQL schema
	admin    *sql.DB
}

// newSchema creates a fresh PostgreSQL schema and returns the URL that puts
// it first on the search_path (the bridge creates its tables there).
func newSchema(ctx context.Context, dbURL string) (*storeView, string, error) {
	admin, err := sql.Open("pgx", dbURL)
	if err != nil {
		return nil, "", errors.New("open postgres: invalid URL")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "bridgebench_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return nil, "", fmt.Errorf("create schema: %w", err)
	}
	u, _ := url.Parse(dbURL)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		admin.Close()
		return nil, "", errors.New("open postgres: invalid URL")
	}
	db.SetMaxOpenConns(2)
	return &storeView{db: db, postgres: true, schema: schema, admin: admin}, u.String(), nil
}

// openSQLiteView opens the bridge's SQLite file read-only. WAL readers do
// not block the bridge's writer.
func openSQLiteView(path string) (*storeView, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=query_only(1)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return &storeView{db: db, path: path}, nil
}

// row is one ticket as the store has it.
type row struct {
	evaluations int
	digest      string
	verdict     string
}

// tickets reads the rows of keys (absent keys are missing from the map).
func (s *storeView) tickets(ctx context.Context, keys []string) (map[string]row, error) {
	out := make(map[string]row, len(keys))
	for len(keys) > 0 {
		n := min(len(keys), 500)
		if err := s.page(ctx, keys[:n], out); err != nil {
			return nil, err
		}
		keys = keys[n:]
	}
	return out, nil
}

func (s *storeView) page(ctx context.Context, keys []string, out map[string]row) error {
	var b strings.Builder
	args := make([]any, len(keys))
	b.WriteString("SELECT ticket_key, evaluations, digest, verdict FROM tickets WHERE source = 'jira' AND ticket_key IN (")
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		if s.postgres {
			fmt.Fprintf(&b, "$%d", i+1)
		} else {
			b.WriteByte('?')
		}
		args[i] = k
	}
	b.WriteByte(')')
	rows, err := s.db.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var r row
		if err := rows.Scan(&k, &r.evaluations, &r.digest, &r.verdict); err != nil {
			return err
		}
		out[k] = r
	}
	return rows.Err()
}

// counts are whole-store figures for the summary.
func (s *storeView) counts(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	for name, q := range map[string]string{
		"tickets":     "SELECT COUNT(*) FROM tickets",
		"evaluations": "SELECT COALESCE(SUM(evaluations), 0) FROM tickets",
		"audit":       "SELECT COUNT(*) FROM audit_log",
		"actions":     "SELECT COUNT(*) FROM actions",
		"deliveries":  "SELECT COUNT(*) FROM deliveries",
	} {
		var n int64
		if err := s.db.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return out, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = n
	}
	return out, nil
}

// size is the bytes the store takes: the SQLite file and its WAL, or the
// schema's relations with indexes and TOAST.
func (s *storeView) size(ctx context.Context) (int64, error) {
	if s.postgres {
		var n int64
		err := s.admin.QueryRowContext(ctx, `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::BIGINT
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`, s.schema).Scan(&n)
		return n, err
	}
	var total int64
	for _, p := range []string{s.path, s.path + "-wal"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		total += fi.Size()
	}
	return total, nil
}

// close releases the view; drop also removes the PostgreSQL schema.
func (s *storeView) close(ctx context.Context, drop bool) error {
	s.db.Close()
	if s.admin == nil {
		return nil
	}
	defer s.admin.Close()
	if !drop {
		return nil
	}
	_, err := s.admin.ExecContext(ctx, "DROP SCHEMA "+s.schema+" CASCADE")
	return err
}

// activeJobs counts the bridge's unfinished evaluate, apply and adapter
// (Slack) jobs.
func (s *storeView) activeJobs(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job WHERE kind IN ('evaluate', 'apply', 'adapter')
		AND state IN ('available', 'running', 'retryable', 'scheduled', 'pending')`).Scan(&n)
	return n, err
}
