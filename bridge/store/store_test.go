package store_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/accessbridge/accessbridge/bridge/store"
	"github.com/accessbridge/accessbridge/bridge/store/storetest"
)

func TestOpenMigratesAndReopens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if err := st.Ping(ctx); err != nil {
			t.Fatalf("ping: %v", err)
		}
		var n int
		if err := st.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil || n == 0 {
			t.Fatalf("schema_migrations: n=%d err=%v", n, err)
		}
		// River's tables exist.
		if err := st.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM river_job").Scan(&n); err != nil {
			t.Fatalf("river_job: %v", err)
		}
		size, err := st.Size(ctx)
		if err != nil || size <= 0 {
			t.Fatalf("Size = %d, %v", size, err)
		}
		if st.Dialect() == store.Postgres && st.Schema() == "" {
			t.Fatalf("Schema() empty for a test schema")
		}
	})
}

func TestReopenSQLiteKeepsData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetCursor(ctx, st.DB(), "jira", "c1"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer st.Close()
	if c, err := st.Cursor(ctx, "jira"); err != nil || c != "c1" {
		t.Fatalf("cursor after reopen = %q, %v", c, err)
	}
}

func TestPostgresReplicasMigrateConcurrently(t *testing.T) {
	cfg := storetest.PostgresConfig(t)
	const replicas = 4
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	stores := make([]*store.Store, replicas)
	for i := range replicas {
		wg.Go(func() {
			stores[i], errs[i] = store.Open(context.Background(), cfg)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	files, err := os.ReadDir("migrations/postgres")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := stores[0].DB().QueryRow("SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil || n != len(files) {
		t.Fatalf("schema_migrations rows = %d, want one per migration (%d), %v", n, len(files), err)
	}
}

func TestInTxRollsBackOnError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := st.InTx(ctx, func(tx *sql.Tx) error {
			if err := st.SetCursor(ctx, tx, "jira", "lost"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx error = %v, want boom", err)
		}
		if c, _ := st.Cursor(ctx, "jira"); c != "" {
			t.Fatalf("cursor = %q after rollback", c)
		}
	})
}

func TestPostgresSchemaFromURL(t *testing.T) {
	cfg := storetest.PostgresConfig(t)
	first := storetest.Open(t, cfg) // creates the schema
	sep := "?"
	if strings.Contains(cfg.DatabaseURL, "?") {
		sep = "&"
	}
	second := storetest.Open(t, store.Config{DatabaseURL: cfg.DatabaseURL + sep + "search_path=" + cfg.Schema})
	if second.Schema() != first.Schema() {
		t.Fatalf("Schema() from URL = %q, want %q", second.Schema(), first.Schema())
	}
	ctx := context.Background()
	if err := first.SetCursor(ctx, first.DB(), "jira", "c"); err != nil {
		t.Fatal(err)
	}
	if c, err := second.Cursor(ctx, "jira"); c != "c" || err != nil {
		t.Fatalf("cursor through the URL's search_path = %q, %v", c, err)
	}
}
