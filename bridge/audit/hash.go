package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// envelope is what a record's hash covers. Fields are declared in
// alphabetical order so the encoding has sorted keys.
type envelope struct {
	At     string          `json:"at"`
	Data   json.RawMessage `json:"data"`
	Key    string          `json:"key"`
	Kind   string          `json:"kind"`
	Prev   string          `json:"prev"`
	Seq    int64           `json:"seq"`
	Source string          `json:"source"`
}

// Hash is the hex SHA-256 of the canonical JSON of {seq, at (RFC 3339 with
// nanoseconds, UTC), kind, source, key, data (canonical), prev}.
func Hash(r Record) string {
	data, err := Canonical(r.Data)
	if err != nil {
		// Unparseable stored data cannot match a hash made from valid JSON.
		data = append(json.RawMessage(`"invalid json: `), hex.EncodeToString(r.Data)...)
		data = append(data, '"')
	}
	b, _ := marshal(envelope{
		At:     r.At.UTC().Format(time.RFC3339Nano),
		Data:   data,
		Key:    r.Key,
		Kind:   r.Kind,
		Prev:   r.PrevHash,
		Seq:    r.Seq,
		Source: r.Source,
	})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Canonical re-encodes JSON with object keys sorted, no insignificant
// whitespace, no HTML escaping, and numbers kept exactly as written.
// Encoding a canonical text again yields the same bytes.
func Canonical(b []byte) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid json: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("invalid json: trailing data")
	}
	return marshal(v)
}

// encodeData turns Append's data argument into canonical JSON.
func encodeData(data any) (json.RawMessage, error) {
	var raw []byte
	switch d := data.(type) {
	case json.RawMessage:
		raw = d
	case []byte:
		raw = d
	default:
		var err error
		if raw, err = json.Marshal(data); err != nil {
			return nil, fmt.Errorf("encode data: %w", err)
		}
	}
	return Canonical(raw)
}

func marshal(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func hexBytes(h string) ([]byte, error) {
	b, err := hex.DecodeString(h)
	if err == nil && len(b) != sha256.Size {
		err = errors.New("hash is not 32 bytes")
	}
	return b, err
}
