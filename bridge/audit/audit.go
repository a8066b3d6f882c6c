// Package audit is the bridge's append-only, hash-chained audit log. It
// lives in the store's database (table audit_log, created by the store's
// migrations) so that a verdict, its audit record and the jobs it causes
// commit together. Each record's hash covers its content and the previous
// record's hash; audit_head holds the newest seq and hash, which both
// serializes appenders across replicas and anchors the tail, so that
// modification, deletion, reordering and truncation are all detected by
// Verify. With a signing key every hash is also signed (Ed25519), which
// protects against someone who rewrites the whole chain.
package audit

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/store"
)

// Record kinds the bridge writes. Other kinds are allowed.
const (
	KindVerdict   = "verdict"
	KindAction    = "action"
	KindApproval  = "approval"
	KindGrant     = "grant"
	KindRevoke    = "revoke"
	KindException = "exception"
)

// GenesisHash is the prev_hash of the first record.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// Record is one entry of the audit log.
type Record struct {
	Seq      int64           `json:"seq"`
	At       time.Time       `json:"at"`
	Kind     string          `json:"kind"`
	Source   string          `json:"source"`
	Key      string          `json:"key"`
	Data     json.RawMessage `json:"data"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
	Sig      string          `json:"sig,omitempty"`
}

// Ref is the ticket the record is about (empty for bridge-wide records).
func (r Record) Ref() bridge.Ref { return bridge.Ref{Source: r.Source, Key: r.Key} }

// Log appends to and reads the audit log of one store.
type Log struct {
	st  *store.Store
	key ed25519.PrivateKey
}

// New returns the log of st. key signs every appended record; nil appends
// unsigned records.
func New(st *store.Store, key ed25519.PrivateKey) *Log {
	return &Log{st: st, key: key}
}

// Append adds a record inside the caller's transaction, so it commits or
// rolls back with the state it describes. data is JSON-encoded (a
// json.RawMessage or []byte is taken as JSON) and canonicalized. The chain
// is serialized in the database: on PostgreSQL by locking the audit_head
// row until tx ends, on SQLite by the immediate write transaction. Keep tx
// short: every other appender waits for it.
func (l *Log) Append(ctx context.Context, tx *sql.Tx, kind string, ref bridge.Ref, at time.Time, data any) (Record, error) {
	if kind == "" {
		return Record{}, errors.New("audit: append: empty kind")
	}
	raw, err := encodeData(data)
	if err != nil {
		return Record{}, fmt.Errorf("audit: append %s: %w", kind, err)
	}
	if at.IsZero() {
		at = time.Now()
	}
	rec := Record{At: store.Norm(at), Kind: kind, Source: ref.Source, Key: ref.Key, Data: raw}
	headQuery := "SELECT seq, hash FROM audit_head WHERE id = 1"
	if l.st.Dialect() == store.Postgres {
		headQuery += " FOR UPDATE"
	}
	var head int64
	if err := tx.QueryRowContext(ctx, headQuery).Scan(&head, &rec.PrevHash); err != nil {
		return Record{}, fmt.Errorf("audit: append: read head: %w", err)
	}
	rec.Seq = head + 1
	rec.Hash = Hash(rec)
	if l.key != nil {
		rec.Sig = Sign(l.key, rec.Hash)
	}
	if err := l.insert(ctx, tx, rec); err != nil {
		return Record{}, err
	}
	return rec, nil
}

func (l *Log) insert(ctx context.Context, tx *sql.Tx, rec Record) error {
	args := []any{rec.Seq, l.st.TimeValue(rec.At), rec.Kind, rec.Source, rec.Key, string(rec.Data), rec.PrevHash, rec.Hash, rec.Sig}
	const insert = `INSERT INTO audit_log (seq, at, kind, source, ticket_key, data, prev_hash, hash, sig)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	if l.st.Dialect() == store.Postgres {
		// One round trip while the head row is locked.
		_, err := tx.ExecContext(ctx, l.st.Rebind(`WITH rec AS (`+insert+` RETURNING seq, hash)
			UPDATE audit_head SET seq = rec.seq, hash = rec.hash FROM rec WHERE audit_head.id = 1`), args...)
		if err != nil {
			return fmt.Errorf("audit: append record %d: %w", rec.Seq, err)
		}
		return nil
	}
	if _, err := tx.ExecContext(ctx, insert, args...); err != nil {
		return fmt.Errorf("audit: append: insert record %d: %w", rec.Seq, err)
	}
	_, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, rec.Seq, rec.Hash)
	if err != nil {
		return fmt.Errorf("audit: append: move head: %w", err)
	}
	return nil
}

// Records lists a ticket's records in chain order (the evidence page).
func (l *Log) Records(ctx context.Context, ref bridge.Ref) ([]Record, error) {
	rows, err := l.st.ReadDB().QueryContext(ctx, l.st.Rebind(`SELECT `+recordColumns+` FROM audit_log
		WHERE source = ? AND ticket_key = ? ORDER BY seq`), ref.Source, ref.Key)
	if err != nil {
		return nil, fmt.Errorf("audit: records %s: %w", ref, err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("audit: records %s: %w", ref, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: records %s: %w", ref, err)
	}
	return out, nil
}

const recordColumns = `seq, at, kind, source, ticket_key, data, prev_hash, hash, sig`

func scanRecord(rows *sql.Rows) (Record, error) {
	var (
		r    Record
		data string
	)
	err := rows.Scan(&r.Seq, store.TimeScanner(&r.At), &r.Kind, &r.Source, &r.Key, &data, &r.PrevHash, &r.Hash, &r.Sig)
	r.Data = json.RawMessage(data)
	return r, err
}

// Sign signs a record hash (hex) with key: base64 of Ed25519 over the
// hash's 32 bytes.
func Sign(key ed25519.PrivateKey, hash string) string {
	b, err := hexBytes(hash)
	if err != nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(ed25519.Sign(key, b))
}

// VerifySig checks sig over hash with pub.
func VerifySig(pub ed25519.PublicKey, hash, sig string) bool {
	b, err := hexBytes(hash)
	if err != nil {
		return false
	}
	s, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return false
	}
	return ed25519.Verify(pub, b, s)
}
