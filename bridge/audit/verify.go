package audit

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"

	"github.com/accessbridge/accessbridge/bridge/store"
)

// Report summarizes a verified log.
type Report struct {
	Records int    `json:"records"`
	Head    string `json:"head"`   // hash of the newest record: publish it to anchor the log
	Signed  int    `json:"signed"` // records with a valid signature (any signature when no key given)
}

// TamperError names the first record that is not as it was appended.
type TamperError struct {
	Seq    int64
	Reason string
}

func (e *TamperError) Error() string {
	return fmt.Sprintf("audit record %d: %s", e.Seq, e.Reason)
}

// Verify walks the whole chain in seq order, streaming, and checks that
// seqs have no gap, each hash matches its record, each prev_hash matches
// the record before, and the last record matches audit_head (so deleting
// the tail is caught too). With pub it also checks every signature; once a
// signed record has been seen, an unsigned one is tampering. It returns a
// *TamperError for the first bad record. Records appended while Verify
// runs are outside the head it read and left for the next run.
func Verify(ctx context.Context, st *store.Store, pub ed25519.PublicKey) (Report, error) {
	var (
		headSeq, maxSeq int64
		headHash        string
	)
	// One statement, one snapshot: head and the records it covers agree
	// unless someone edited one without the other.
	err := st.ReadDB().QueryRowContext(ctx, `SELECT h.seq, h.hash, COALESCE((SELECT MAX(seq) FROM audit_log), 0)
		FROM audit_head h WHERE h.id = 1`).Scan(&headSeq, &headHash, &maxSeq)
	if errors.Is(err, sql.ErrNoRows) {
		return Report{}, &TamperError{Seq: 0, Reason: "audit head missing"}
	}
	if err != nil {
		return Report{}, fmt.Errorf("audit: verify: read head: %w", err)
	}
	rows, err := st.ReadDB().QueryContext(ctx, st.Rebind(`SELECT `+recordColumns+` FROM audit_log
		WHERE seq <= ? ORDER BY seq`), headSeq)
	if err != nil {
		return Report{}, fmt.Errorf("audit: verify: %w", err)
	}
	defer rows.Close()
	c := chain{pub: pub, prev: GenesisHash, next: 1}
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return c.report, fmt.Errorf("audit: verify: record after %d: %w", c.next-1, err)
		}
		if err := c.check(r); err != nil {
			return c.report, err
		}
	}
	if err := rows.Err(); err != nil {
		return c.report, fmt.Errorf("audit: verify: %w", err)
	}
	if err := c.checkHead(headSeq, headHash); err != nil {
		return c.report, err
	}
	if maxSeq > headSeq {
		return c.report, &TamperError{Seq: headSeq + 1, Reason: fmt.Sprintf("beyond the audit head (head moved back to %d or record written outside the log)", headSeq)}
	}
	return c.report, nil
}

// chain is Verify's state between records.
type chain struct {
	pub        ed25519.PublicKey
	prev       string // hash of the last good record
	next       int64  // seq expected next
	signedSeen bool
	report     Report
}

func (c *chain) check(r Record) error {
	if r.Seq != c.next {
		return &TamperError{Seq: c.next, Reason: fmt.Sprintf("missing (record deleted; next present is %d)", r.Seq)}
	}
	hashOK := Hash(r) == r.Hash
	linkOK := r.PrevHash == c.prev
	switch {
	case !hashOK && !linkOK:
		return &TamperError{Seq: r.Seq, Reason: "out of place (records reordered, replaced or renumbered)"}
	case !hashOK:
		return &TamperError{Seq: r.Seq, Reason: "hash mismatch (record modified)"}
	case !linkOK:
		// r is intact but no longer links to its predecessor: the one
		// before was rewritten with a recomputed hash.
		return &TamperError{Seq: r.Seq - 1, Reason: fmt.Sprintf("hash recomputed (record modified; record %d links to a different hash)", r.Seq)}
	}
	if err := c.checkSig(r); err != nil {
		return err
	}
	c.prev, c.next = r.Hash, r.Seq+1
	c.report.Records++
	c.report.Head = r.Hash
	return nil
}

func (c *chain) checkSig(r Record) error {
	switch {
	case c.pub == nil:
		if r.Sig != "" {
			c.report.Signed++
		}
	case r.Sig == "" && c.signedSeen:
		return &TamperError{Seq: r.Seq, Reason: "signature missing"}
	case r.Sig == "":
	case !VerifySig(c.pub, r.Hash, r.Sig):
		return &TamperError{Seq: r.Seq, Reason: "bad signature"}
	default:
		c.signedSeen = true
		c.report.Signed++
	}
	return nil
}

// checkHead compares the end of the chain with audit_head.
func (c *chain) checkHead(seq int64, hash string) error {
	last := c.next - 1
	switch {
	case last < seq:
		return &TamperError{Seq: last + 1, Reason: fmt.Sprintf("missing (log truncated; head is record %d)", seq)}
	case last == 0 && hash == GenesisHash:
		return nil
	case hash != c.prev:
		return &TamperError{Seq: seq, Reason: "hash does not match the audit head (record or head modified)"}
	}
	return nil
}
