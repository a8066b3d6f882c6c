package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ParseSigningKey reads BRIDGE_AUDIT_SIGNING_KEY: base64 (standard or URL
// alphabet, padded or not) of a 32-byte Ed25519 seed or a 64-byte private
// key. Errors never include the key.
func ParseSigningKey(s string) (ed25519.PrivateKey, error) {
	b, err := decodeBase64(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("audit: signing key: not base64")
	}
	switch len(b) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(b), nil
	case ed25519.PrivateKeySize:
		key := ed25519.NewKeyFromSeed(b[:ed25519.SeedSize])
		if !bytes.Equal(key[ed25519.SeedSize:], b[ed25519.SeedSize:]) {
			return nil, errors.New("audit: signing key: public half does not match the seed")
		}
		return key, nil
	}
	return nil, fmt.Errorf("audit: signing key: %d bytes, want a 32-byte seed or a 64-byte key", len(b))
}

// PublicKeyString encodes a public key as standard base64.
func PublicKeyString(pub ed25519.PublicKey) string {
	return base64.StdEncoding.EncodeToString(pub)
}

// ParsePublicKey reads a base64 (standard or URL) Ed25519 public key.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := decodeBase64(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("audit: public key: not base64")
	}
	if len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("audit: public key: %d bytes, want %d", len(b), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// GenerateKey returns a new random seed, base64, for BRIDGE_AUDIT_SIGNING_KEY.
func GenerateKey() (seedBase64 string, err error) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return "", fmt.Errorf("audit: generate key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(seed), nil
}

func decodeBase64(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("empty")
	}
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		var b []byte
		if b, err = enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, err
}
