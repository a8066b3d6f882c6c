package audit_test

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/audit"
	"github.com/accessbridge/accessbridge/bridge/store"
)

var t0 = time.Date(2026, 3, 1, 9, 30, 0, 123456789, time.UTC)

func testKey(t testing.TB, seed byte) ed25519.PrivateKey {
	t.Helper()
	s := make([]byte, ed25519.SeedSize)
	for i := range s {
		s[i] = seed
	}
	return ed25519.NewKeyFromSeed(s)
}

// appendN appends n records, one transaction each, about tickets IT-1…IT-3.
func appendN(t testing.TB, st *store.Store, l *audit.Log, n int) []audit.Record {
	t.Helper()
	ctx := context.Background()
	var out []audit.Record
	for i := range n {
		var rec audit.Record
		err := st.InTx(ctx, func(tx *sql.Tx) error {
			var err error
			ref := bridge.Ref{Source: "jira", Key: fmt.Sprintf("IT-%d", i%3+1)}
			rec, err = l.Append(ctx, tx, audit.KindVerdict, ref, t0.Add(time.Duration(i)*time.Minute),
				map[string]any{"verdict": "pending", "n": i, "note": "<b>&</b>"})
			return err
		})
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		out = append(out, rec)
	}
	return out
}

// tamper runs statements directly against the database as an attacker with
// write access would, after removing the append-only triggers.
func tamper(t *testing.T, st *store.Store, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	var drop []string
	if st.Dialect() == store.Postgres {
		drop = []string{"ALTER TABLE audit_log DISABLE TRIGGER USER"}
	} else {
		drop = []string{"DROP TRIGGER IF EXISTS audit_log_no_update", "DROP TRIGGER IF EXISTS audit_log_no_delete"}
	}
	for _, s := range append(drop, stmts...) {
		if _, err := st.DB().ExecContext(ctx, s); err != nil {
			t.Fatalf("tamper %q: %v", s, err)
		}
	}
}

func wantTamper(t *testing.T, err error, seq int64, reason string) {
	t.Helper()
	var te *audit.TamperError
	if !errors.As(err, &te) {
		t.Fatalf("Verify error = %v, want a TamperError", err)
	}
	if te.Seq != seq || !strings.Contains(te.Reason, reason) {
		t.Fatalf("Verify = %q, want record %d with %q", te.Error(), seq, reason)
	}
}

type ed25519PublicKey = ed25519.PublicKey
