// Package store is the bridge's durable state: deliveries, per-ticket state,
// approvals, grants, poll cursors, action idempotency, chat messages and the
// audit table. One database/sql code path serves both backends: an embedded
// SQLite file (modernc.org/sqlite) by default and PostgreSQL (pgx) when
// several replicas share state. The same database holds River's job tables,
// so a delivery and the job it causes commit in one *sql.Tx.
//
// Connections. On SQLite the write pool (DB, RiverDriver, InTx) has exactly
// one connection, as River's SQLite driver recommends: SQLite allows one
// writer at a time and more connections only turn into SQLITE_BUSY errors.
// Two consequences for callers:
//   - inside InTx use only the tx (and methods given the tx as Querier);
//     a call that needs another write-pool connection waits forever;
//   - never hold a transaction across a network call: it blocks every other
//     writer, River included.
//
// Read-only methods without a Querier argument use a separate read pool
// (several query_only connections; WAL lets them run beside the writer).
// On PostgreSQL both pools are the same *sql.DB.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/riverqueue/river/riverdriver"
)

// Dialects.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// ErrNotFound is returned when a row the caller names does not exist.
var ErrNotFound = errors.New("store: not found")

// Config selects and configures the backend.
type Config struct {
	// DataDir holds the SQLite file bridge.db; created when missing.
	DataDir string
	// DatabaseURL, when it starts with postgres:// or postgresql://,
	// selects PostgreSQL. Anything else (empty included) selects SQLite.
	DatabaseURL string
	// Schema (PostgreSQL only) is created when missing and put first on the
	// search_path. Empty: the URL's search_path parameter, else the default.
	Schema string
	// Logger receives migration progress; nil discards.
	Logger *slog.Logger
}

// Store is an open database with the bridge's schema and River's.
type Store struct {
	db      *sql.DB // writes, transactions, River
	read    *sql.DB // read-only queries; == db on PostgreSQL
	dialect string
	schema  string
	// createSchema: Open creates schema (under the migration lock).
	createSchema bool
	path         string // SQLite file
	river        riverdriver.Driver[*sql.Tx]
	log          *slog.Logger
}

// Querier is what *sql.DB and *sql.Tx have in common.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

var (
	_ Querier = (*sql.DB)(nil)
	_ Querier = (*sql.Tx)(nil)
)

// Open connects, applies the bridge's migrations and River's, and returns
// a ready store.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var (
		s   *Store
		err error
	)
	if isPostgresURL(cfg.DatabaseURL) {
		s, err = openPostgres(ctx, cfg)
	} else {
		s, err = openSQLite(ctx, cfg)
	}
	if err != nil {
		return nil, err
	}
	s.log = log
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func isPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// Close closes both pools.
func (s *Store) Close() error {
	err := s.db.Close()
	if s.read != s.db {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// DB is the write pool: the one to begin transactions on and give River.
// On SQLite it has a single connection (see the package comment).
func (s *Store) DB() *sql.DB { return s.db }

// ReadDB is the pool for read-only queries outside a transaction.
func (s *Store) ReadDB() *sql.DB { return s.read }

// Dialect is SQLite or Postgres.
func (s *Store) Dialect() string { return s.dialect }

// RiverDriver is River's driver over the write pool.
func (s *Store) RiverDriver() riverdriver.Driver[*sql.Tx] { return s.river }

// Schema is the PostgreSQL schema in use ("" = the default search_path);
// River's Config.Schema should be set to it. Always "" on SQLite.
func (s *Store) Schema() string { return s.schema }

// Ping checks that both pools can reach the database.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	if s.read != s.db {
		if err := s.read.PingContext(ctx); err != nil {
			return fmt.Errorf("store: ping read pool: %w", err)
		}
	}
	return nil
}

// Rebind turns the ? placeholders of a query into $1, $2, … on PostgreSQL.
// Queries are written once with ?; none of ours has a ? inside a literal.
func (s *Store) Rebind(query string) string {
	if s.dialect != Postgres {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}
