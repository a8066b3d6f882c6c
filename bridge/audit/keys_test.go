package audit_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/accessbridge/accessbridge/bridge/audit"
)

func TestSigningRoundTrip(t *testing.T) {
	seed, err := audit.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	key, err := audit.ParseSigningKey(seed)
	if err != nil {
		t.Fatal(err)
	}
	pubStr := audit.PublicKeyString(key.Public().(ed25519.PublicKey))
	pub, err := audit.ParsePublicKey(pubStr)
	if err != nil {
		t.Fatal(err)
	}
	h := audit.Hash(audit.Record{Seq: 1, Kind: "verdict", Data: []byte(`{}`), PrevHash: audit.GenesisHash})
	sig := audit.Sign(key, h)
	if !audit.VerifySig(pub, h, sig) {
		t.Fatal("signature does not verify with the parsed public key")
	}
	other := audit.Hash(audit.Record{Seq: 2, Kind: "verdict", Data: []byte(`{}`), PrevHash: h})
	if audit.VerifySig(pub, other, sig) {
		t.Fatal("signature verifies for another hash")
	}
}

func TestParseSigningKeyEncodings(t *testing.T) {
	key := testKey(t, 7)
	seed := key.Seed()
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"std seed", base64.StdEncoding.EncodeToString(seed), true},
		{"raw std seed", base64.RawStdEncoding.EncodeToString(seed), true},
		{"url seed", base64.URLEncoding.EncodeToString(seed), true},
		{"raw url seed", base64.RawURLEncoding.EncodeToString(seed), true},
		{"seed with newline", base64.StdEncoding.EncodeToString(seed) + "\n", true},
		{"64-byte key", base64.StdEncoding.EncodeToString(key), true},
		{"64-byte key, wrong public half", base64.StdEncoding.EncodeToString(append(append([]byte{}, seed...), make([]byte, 32)...)), false},
		{"16 bytes", base64.StdEncoding.EncodeToString(seed[:16]), false},
		{"not base64", "%%%%", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := audit.ParseSigningKey(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && !got.Equal(key) {
				t.Fatal("parsed a different key")
			}
			if err != nil && tt.in != "" && strings.Contains(err.Error(), strings.TrimSpace(tt.in)) {
				t.Fatalf("error leaks the key: %v", err)
			}
		})
	}
}

func TestParsePublicKey(t *testing.T) {
	pub := testKey(t, 3).Public().(ed25519.PublicKey)
	for _, in := range []string{base64.StdEncoding.EncodeToString(pub), base64.RawURLEncoding.EncodeToString(pub)} {
		got, err := audit.ParsePublicKey(in)
		if err != nil || !got.Equal(pub) {
			t.Fatalf("ParsePublicKey(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "!!", base64.StdEncoding.EncodeToString(pub[:31])} {
		if _, err := audit.ParsePublicKey(bad); err == nil {
			t.Fatalf("ParsePublicKey(%q) accepted", bad)
		}
	}
}
