package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
)

// postgresMaxConns bounds the pool per replica. River's producers, its
// maintenance services, the job workers (20 by default), webhook ingest and
// the audit sealer share it: with only 20, busy workers starved ingest and
// a 3-replica benchmark fell from 284 to 155 tickets/s.
const postgresMaxConns = 40

func openPostgres(ctx context.Context, cfg Config) (*Store, error) {
	pc, err := pgx.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		// pgx errors may echo the URL, password included: keep them out.
		return nil, fmt.Errorf("store: parse database url: invalid PostgreSQL URL")
	}
	schema := cfg.Schema
	if schema == "" {
		schema = firstSearchPath(pc.RuntimeParams["search_path"])
	}
	if cfg.Schema != "" {
		pc.RuntimeParams["search_path"] = quoteIdent(cfg.Schema)
	}
	db := stdlib.OpenDB(*pc)
	db.SetMaxOpenConns(postgresMaxConns)
	db.SetMaxIdleConns(postgresMaxConns / 2)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect postgres: %w", err)
	}
	return &Store{
		db:           db,
		read:         db,
		dialect:      Postgres,
		schema:       schema,
		createSchema: cfg.Schema != "",
		river:        riverdatabasesql.New(db),
	}, nil
}

func firstSearchPath(sp string) string {
	first, _, _ := strings.Cut(sp, ",")
	first = strings.TrimSpace(first)
	if first == "$user" || first == `"$user"` {
		return ""
	}
	return strings.Trim(first, `"`)
}

func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
