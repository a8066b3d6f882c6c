package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river/rivermigrate"
)

//go:embed migrations
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrate applies the bridge's pending migrations, then River's. On
// PostgreSQL a session advisory lock, held on one connection throughout,
// makes replicas that start together take turns; the loser then finds
// nothing left to do. On SQLite every migration runs in an immediate
// transaction, which serializes processes sharing the file.
func (s *Store) migrate(ctx context.Context) error {
	list, err := loadMigrations(s.dialect)
	if err != nil {
		return err
	}
	unlock, err := s.migrationLock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if s.createSchema {
		if _, err := s.db.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+quoteIdent(s.schema)); err != nil {
			return fmt.Errorf("store: create schema: %w", err)
		}
	}
	if err := s.applyMigrations(ctx, list); err != nil {
		return err
	}
	m, err := rivermigrate.New(s.river, &rivermigrate.Config{Schema: s.schema, Logger: s.log})
	if err != nil {
		return fmt.Errorf("store: river migrator: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("store: river migrations: %w", err)
	}
	return nil
}

// migrationLock takes a PostgreSQL advisory lock keyed by schema so tests
// in separate schemas do not queue behind each other. No-op on SQLite.
func (s *Store) migrationLock(ctx context.Context) (func(), error) {
	if s.dialect != Postgres {
		return func() {}, nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: migration lock: %w", err)
	}
	key := lockKey("accessbridge.migrate." + s.schema)
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		conn.Close()
		return nil, fmt.Errorf("store: migration lock: %w", err)
	}
	return func() {
		// A fresh context: the unlock must run even when ctx is done.
		uctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = conn.ExecContext(uctx, "SELECT pg_advisory_unlock($1)", key)
		conn.Close()
	}, nil
}

func lockKey(s string) int64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return int64(h.Sum64())
}

func (s *Store) applyMigrations(ctx context.Context, list []migration) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("store: schema_migrations: %w", err)
	}
	for _, m := range list {
		if err := s.applyOne(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// applyOne runs one migration and records it in the same transaction,
// re-checking inside it so a concurrent process cannot apply it twice.
func (s *Store) applyOne(ctx context.Context, m migration) error {
	return s.InTx(ctx, func(tx *sql.Tx) error {
		var n int
		err := tx.QueryRowContext(ctx, s.Rebind("SELECT COUNT(*) FROM schema_migrations WHERE version = ?"), m.version).Scan(&n)
		if err != nil || n > 0 {
			return err
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("store: migration %04d_%s: %w", m.version, m.name, err)
		}
		_, err = tx.ExecContext(ctx, s.Rebind("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
			m.version, m.name, time.Now().UTC().Format(time.RFC3339))
		if err == nil {
			s.log.InfoContext(ctx, "applied migration", "version", m.version, "name", m.name)
		}
		return err
	})
}

// loadMigrations lists migrations/<dialect>/NNNN_name.sql in version order.
func loadMigrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	var list []migration
	seen := map[int]bool{}
	for _, e := range entries {
		num, rest, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(rest, ".sql") {
			return nil, fmt.Errorf("store: migration file %q: want NNNN_name.sql", e.Name())
		}
		if seen[v] {
			return nil, fmt.Errorf("store: migration version %d appears twice", v)
		}
		seen[v] = true
		b, err := fs.ReadFile(migrationFS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("store: migration %s: %w", e.Name(), err)
		}
		list = append(list, migration{version: v, name: strings.TrimSuffix(rest, ".sql"), sql: string(b)})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].version < list[j].version })
	return list, nil
}
