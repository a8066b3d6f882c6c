// Package storetest opens throwaway stores for tests: a SQLite file in a
// temporary directory, and a PostgreSQL schema of its own when
// BRIDGE_TEST_POSTGRES_URL is set (dropped at cleanup).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers driver "pgx"

	"github.com/accessbridge/accessbridge/bridge/store"
)

// EnvPostgresURL names the variable holding the test PostgreSQL URL.
const EnvPostgresURL = "BRIDGE_TEST_POSTGRES_URL"

// Backend opens a fresh, empty store of one kind.
type Backend struct {
	Name string // store.SQLite or store.Postgres
	Open func(t testing.TB) *store.Store
}

// Backends lists SQLite always and PostgreSQL when configured.
func Backends() []Backend {
	b := []Backend{{Name: store.SQLite, Open: SQLite}}
	if os.Getenv(EnvPostgresURL) != "" {
		b = append(b, Backend{Name: store.Postgres, Open: Postgres})
	}
	return b
}

// Each runs fn as a subtest against every backend, each with a fresh store.
func Each(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, b.Open(t))
		})
	}
}

// SQLite opens a store on a new file in t.TempDir.
func SQLite(t testing.TB) *store.Store {
	t.Helper()
	return open(t, store.Config{DataDir: t.TempDir()})
}

// Postgres opens a store in a new schema, skipping the test when no
// PostgreSQL is configured.
func Postgres(t testing.TB) *store.Store {
	t.Helper()
	cfg := PostgresConfig(t)
	return open(t, cfg)
}

// PostgresConfig creates a fresh schema (dropped at cleanup) and returns a
// config for it; open several stores with it to act as replicas.
func PostgresConfig(t testing.TB) store.Config {
	t.Helper()
	url := os.Getenv(EnvPostgresURL)
	if url == "" {
		t.Skip("PostgreSQL tests need " + EnvPostgresURL + " (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "bridge_test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatalf("open admin connection: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA IF EXISTS "` + schema + `" CASCADE`); err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
		admin.Close()
	})
	return store.Config{DatabaseURL: url, Schema: schema}
}

func open(t testing.TB, cfg store.Config) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Open opens another store with cfg (a second replica), closed at cleanup.
func Open(t testing.TB, cfg store.Config) *store.Store {
	t.Helper()
	return open(t, cfg)
}
