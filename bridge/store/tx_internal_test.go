package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestInTxRetriesConflicts(t *testing.T) {
	st, err := Open(context.Background(), Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tests := []struct {
		name      string
		err       error
		wantCalls int
	}{
		{"serialization failure retried", &pgconn.PgError{Code: "40001"}, txAttempts},
		{"deadlock retried", fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: "40P01"}), txAttempts},
		{"unique violation not retried", &pgconn.PgError{Code: "23505"}, 1},
		{"plain error not retried", errors.New("boom"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			err := st.InTx(context.Background(), func(*sql.Tx) error { calls++; return tt.err })
			if calls != tt.wantCalls || !errors.Is(err, tt.err) {
				t.Fatalf("calls = %d (want %d), err = %v", calls, tt.wantCalls, err)
			}
		})
	}
	t.Run("succeeds after a conflict", func(t *testing.T) {
		calls := 0
		err := st.InTx(context.Background(), func(tx *sql.Tx) error {
			calls++
			if calls == 1 {
				return &pgconn.PgError{Code: "40001"}
			}
			return st.SetCursor(context.Background(), tx, "jira", "x")
		})
		if err != nil || calls != 2 {
			t.Fatalf("calls=%d err=%v", calls, err)
		}
	})
}

// A real SQLITE_BUSY, from a second connection that does not wait, is
// classified retryable.
func TestSQLiteBusyIsRetryable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := Open(ctx, Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	other, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "bridge.db")+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	tx, err := st.DB().BeginTx(ctx, nil) // immediate: holds the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	_, err = other.ExecContext(ctx, "INSERT INTO cursors (source, cursor_value, updated_at) VALUES ('a', 'b', 'c')")
	if err == nil || !retryable(err) {
		t.Fatalf("write beside a held lock: err = %v, retryable = %v", err, retryable(err))
	}
}

func TestRebind(t *testing.T) {
	pg := &Store{dialect: Postgres}
	if got := pg.Rebind("a = ? AND b IN (?, ?)"); got != "a = $1 AND b IN ($2, $3)" {
		t.Fatalf("postgres rebind = %q", got)
	}
	lite := &Store{dialect: SQLite}
	if got := lite.Rebind("a = ?"); got != "a = ?" {
		t.Fatalf("sqlite rebind = %q", got)
	}
}

func TestFirstSearchPath(t *testing.T) {
	for in, want := range map[string]string{"": "", "app": "app", `"$user", public`: "", `"My Schema",public`: "My Schema"} {
		if got := firstSearchPath(in); got != want {
			t.Errorf("firstSearchPath(%q) = %q, want %q", in, got, want)
		}
	}
}
