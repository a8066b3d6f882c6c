package main

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/audit"
	"github.com/accessbridge/accessbridge/bridge/store"
)

var auditT0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// testSeed is a fixed signing key for the tests, base64.
var testSeed = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// auditStore makes a SQLite store in a temporary data dir with n signed
// records, one a day from auditT0, and runs tamper statements on it.
func auditStore(t *testing.T, n int, tamper ...string) string {
	t.Helper()
	t.Setenv("BRIDGE_DATABASE_URL", "")
	t.Setenv("BRIDGE_DATA_DIR", "")
	t.Setenv("BRIDGE_AUDIT_PUBLIC_KEY", "")
	t.Setenv("BRIDGE_AUDIT_SIGNING_KEY", "")
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key, err := audit.ParseSigningKey(testSeed)
	if err != nil {
		t.Fatal(err)
	}
	log := audit.New(st, key)
	for i := range n {
		err := st.InTx(ctx, func(tx *sql.Tx) error {
			ref := bridge.Ref{Source: "jira", Key: fmt.Sprintf("IT-%d", i+1)}
			_, err := log.Append(ctx, tx, audit.KindVerdict, ref, auditT0.Add(time.Duration(i)*24*time.Hour), map[string]any{"verdict": "allowed", "n": i})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(tamper) > 0 {
		// an attacker with file access drops the append-only triggers first
		tamper = append([]string{"DROP TRIGGER IF EXISTS audit_log_no_update", "DROP TRIGGER IF EXISTS audit_log_no_delete"}, tamper...)
	}
	for _, q := range tamper {
		if _, err := st.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func publicKey(t *testing.T) string {
	t.Helper()
	key, err := audit.ParseSigningKey(testSeed)
	if err != nil {
		t.Fatal(err)
	}
	return audit.PublicKeyString(key.Public().(ed25519.PublicKey))
}

func TestAuditVerify(t *testing.T) {
	t.Run("intact, with public key", func(t *testing.T) {
		dir := auditStore(t, 3)
		code, stdout, stderr := runCLI(t, "audit", "verify", "--data-dir", dir, "--pubkey", publicKey(t))
		wantOutput(t, code, 0, stdout+stderr, "ok: 3 records, 3 signed, head ")
	})
	t.Run("intact, key from the environment", func(t *testing.T) {
		dir := auditStore(t, 2)
		t.Setenv("BRIDGE_DATA_DIR", dir)
		t.Setenv("BRIDGE_AUDIT_SIGNING_KEY", testSeed)
		code, stdout, stderr := runCLI(t, "audit", "verify")
		wantOutput(t, code, 0, stdout+stderr, "ok: 2 records, 2 signed")
		if strings.Contains(stdout+stderr, testSeed) {
			t.Error("output contains the signing key")
		}
	})
	t.Run("modified record", func(t *testing.T) {
		dir := auditStore(t, 4, `UPDATE audit_log SET data = '{"verdict":"denied"}' WHERE seq = 3`)
		code, stdout, stderr := runCLI(t, "audit", "verify", "--data-dir", dir)
		wantOutput(t, code, 1, stdout+stderr, "FAIL: record 3: hash mismatch", "2 records verified before it")
	})
	t.Run("wrong public key", func(t *testing.T) {
		dir := auditStore(t, 2)
		other := base64.StdEncoding.EncodeToString(make([]byte, ed25519.PublicKeySize))
		code, stdout, stderr := runCLI(t, "audit", "verify", "--data-dir", dir, "--pubkey", other)
		wantOutput(t, code, 1, stdout+stderr, "FAIL: record 1: bad signature")
	})
	t.Run("no database", func(t *testing.T) {
		auditStore(t, 0) // clears the environment
		code, stdout, stderr := runCLI(t, "audit", "verify", "--data-dir", t.TempDir())
		wantOutput(t, code, 1, stdout+stderr, "no database at ")
	})
	t.Run("bad public key", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, "audit", "verify", "--pubkey", "!!")
		wantOutput(t, code, 2, stdout+stderr, "public key")
	})
}

func TestAuditExport(t *testing.T) {
	dir := auditStore(t, 4)
	t.Run("jsonl window", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, "audit", "export", "--data-dir", dir, "--since", "2026-03-02", "--until", "2026-03-04T00:00:00Z")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		if len(lines) != 2 {
			t.Fatalf("got %d records, want 2 (Mar 2 and Mar 3):\n%s", len(lines), stdout)
		}
		var r audit.Record
		if err := json.Unmarshal([]byte(lines[0]), &r); err != nil || r.Seq != 2 || r.Key != "IT-2" {
			t.Errorf("first record = %+v, %v", r, err)
		}
	})
	t.Run("csv to file", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "audit.csv")
		code, _, stderr := runCLI(t, "audit", "export", "--data-dir", dir, "--format", "csv", "--out", out)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		f, err := os.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		recs, err := csv.NewReader(f).ReadAll()
		if err != nil || len(recs) != 5 || recs[0][0] != "seq" {
			t.Errorf("csv = %v, %v", recs, err)
		}
	})
	t.Run("bad bounds and format", func(t *testing.T) {
		for _, args := range [][]string{{"--since", "last week"}, {"--format", "xml"}, {"stray"}} {
			code, _, stderr := runCLI(t, append([]string{"audit", "export", "--data-dir", dir}, args...)...)
			wantOutput(t, code, 2, stderr)
		}
	})
}

func TestAuditPubkey(t *testing.T) {
	wantKey := publicKey(t)
	t.Run("from env", func(t *testing.T) {
		t.Setenv("BRIDGE_AUDIT_SIGNING_KEY", testSeed)
		code, stdout, _ := runCLI(t, "audit", "pubkey")
		wantOutput(t, code, 0, stdout, wantKey+"\n")
	})
	t.Run("from file", func(t *testing.T) {
		t.Setenv("BRIDGE_AUDIT_SIGNING_KEY", "")
		p := filepath.Join(t.TempDir(), "key")
		if err := os.WriteFile(p, []byte(testSeed+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		code, stdout, _ := runCLI(t, "audit", "pubkey", "--key-file", p)
		wantOutput(t, code, 0, stdout, wantKey+"\n")
	})
	t.Run("no key", func(t *testing.T) {
		t.Setenv("BRIDGE_AUDIT_SIGNING_KEY", "")
		code, _, stderr := runCLI(t, "audit", "pubkey")
		wantOutput(t, code, 2, stderr, "no signing key")
	})
	t.Run("bad key is not echoed", func(t *testing.T) {
		t.Setenv("BRIDGE_AUDIT_SIGNING_KEY", "c2VjcmV0LXNlY3JldA==")
		code, stdout, stderr := runCLI(t, "audit", "pubkey")
		wantOutput(t, code, 1, stderr, "BRIDGE_AUDIT_SIGNING_KEY: audit: signing key:")
		if strings.Contains(stdout+stderr, "c2VjcmV0") {
			t.Error("output echoes the key")
		}
	})
}
