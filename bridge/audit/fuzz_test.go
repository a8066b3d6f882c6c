package audit_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/accessbridge/accessbridge/bridge/audit"
)

// Canonical must be idempotent: verifying re-canonicalizes stored data.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[1.0,2e3]}`, `"<&>"`, `null`, `{"a":{"a":{}}}`, `[`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := audit.Canonical(b)
		if err != nil {
			return
		}
		again, err := audit.Canonical(c)
		if err != nil || !bytes.Equal(c, again) {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", b, c, again, err)
		}
	})
}

func FuzzParseSigningKey(f *testing.F) {
	for _, s := range []string{"", "AAAA", strings.Repeat("A", 43), strings.Repeat("A", 44), strings.Repeat("_", 86)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, err := audit.ParseSigningKey(s)
		if err != nil {
			if len(strings.TrimSpace(s)) > 8 && strings.Contains(err.Error(), strings.TrimSpace(s)) {
				t.Fatalf("error leaks input: %v", err)
			}
			return
		}
		if len(key) != 64 {
			t.Fatalf("key of %d bytes", len(key))
		}
		_, _ = audit.ParsePublicKey(s)
	})
}
