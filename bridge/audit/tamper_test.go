package audit_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/accessbridge/accessbridge/bridge/audit"
	"github.com/accessbridge/accessbridge/bridge/store"
	"github.com/accessbridge/accessbridge/bridge/store/storetest"
)

// TestVerifyDetectsTampering edits the database directly, as someone with
// write access could, and checks that Verify names the first bad record.
func TestVerifyDetectsTampering(t *testing.T) {
	attacker := testKey(t, 9)
	tests := []struct {
		name    string
		edit    func(t *testing.T, st *store.Store, recs []audit.Record) []string
		seq     int64
		reason  string
		noCheck bool // verify without the public key
	}{
		{
			name: "data edited",
			edit: func(t *testing.T, st *store.Store, _ []audit.Record) []string {
				return []string{`UPDATE audit_log SET data = '{"verdict":"allowed"}' WHERE seq = 4`}
			},
			seq: 4, reason: "hash mismatch (record modified)",
		},
		{
			name: "kind edited",
			edit: func(t *testing.T, st *store.Store, _ []audit.Record) []string {
				return []string{`UPDATE audit_log SET kind = 'exception' WHERE seq = 2`}
			},
			seq: 2, reason: "hash mismatch",
		},
		{
			name: "middle record deleted",
			edit: func(t *testing.T, st *store.Store, _ []audit.Record) []string {
				return []string{`DELETE FROM audit_log WHERE seq = 5`}
			},
			seq: 5, reason: "missing (record deleted",
		},
		{
			name: "first record deleted",
			edit: func(t *testing.T, st *store.Store, _ []audit.Record) []string {
				return []string{`DELETE FROM audit_log WHERE seq = 1`}
			},
			seq: 1, reason: "missing (record deleted",
		},
		{
			name: "last record deleted",
			edit: func(t *testing.T, st *store.Store, _ []audit.Record) []string {
				return []string{`DELETE FROM audit_log WHERE seq = 8`}
			},
			seq: 8, reason: "log truncated",
		},
		{
			name: "tail deleted and head moved back",
			edit: func(t *testing.T, st *store.Store, recs []audit.Record) []string {
				return []string{`DELETE FROM audit_log WHERE seq = 8`,
					fmt.Sprintf(`UPDATE audit_head SET seq = 7, hash = '%s'`, recs[6].Hash)}
			},
			// Only an external anchor (a published Report.Head) or the
			// signature on a re-made record can catch this; the chain is
			// consistent, so Verify passes.
			seq: -1,
		},
		{
			name: "head moved back over intact records",
			edit: func(t *testing.T, st *store.Store, recs []audit.Record) []string {
				return []string{fmt.Sprintf(`UPDATE audit_head SET seq = 6, hash = '%s'`, recs[5].Hash)}
			},
			seq: 7, reason: "beyond the audit head",
		},
		{
			name: "head hash edited",
			edit: func(t *testing.T, st *store.Store, _ []audit.Record) []string {
				return []string{`UPDATE audit_head SET hash = 'ab'`}
			},
			seq: 8, reason: "does not match the audit head",
		},
		{
			name: "two records swapped",
			edit: func(t *testing.T, st *store.Store, recs []audit.Record) []string {
				return append(setRecord(st, 3, recs[5]), setRecord(st, 6, recs[2])...)
			},
			seq: 3, reason: "out of place",
		},
		{
			name: "middle deleted and later ones renumbered",
			edit: func(t *testing.T, st *store.Store, recs []audit.Record) []string {
				out := []string{`DELETE FROM audit_log WHERE seq = 5`}
				for s := 6; s <= 8; s++ {
					out = append(out, fmt.Sprintf(`UPDATE audit_log SET seq = %d WHERE seq = %d`, s-1, s))
				}
				return append(out, `UPDATE audit_head SET seq = 7`)
			},
			seq: 5, reason: "out of place",
		},
		{
			name: "signature forged",
			edit: func(t *testing.T, st *store.Store, recs []audit.Record) []string {
				return []string{fmt.Sprintf(`UPDATE audit_log SET sig = '%s' WHERE seq = 7`, audit.Sign(attacker, recs[6].Hash))}
			},
			seq: 7, reason: "bad signature",
		},
		{
			name: "signature garbage",
			edit: func(t *testing.T, st *store.Store, _ []audit.Record) []string {
				return []string{`UPDATE audit_log SET sig = 'not base64!' WHERE seq = 2`}
			},
			seq: 2, reason: "bad signature",
		},
		{
			name: "signature stripped",
			edit: func(t *testing.T, st *store.Store, _ []audit.Record) []string {
				return []string{`UPDATE audit_log SET sig = '' WHERE seq = 6`}
			},
			seq: 6, reason: "signature missing",
		},
		{
			name: "rewritten with recomputed hash and attacker signature",
			edit: func(t *testing.T, st *store.Store, recs []audit.Record) []string {
				r := recs[3]
				r.Data = []byte(`{"verdict":"allowed"}`)
				r.Hash = audit.Hash(r)
				r.Sig = audit.Sign(attacker, r.Hash)
				return setRecord(st, 4, r)
			},
			seq: 4, reason: "bad signature",
		},
		{
			name: "rewritten with recomputed hash, unsigned log",
			edit: func(t *testing.T, st *store.Store, recs []audit.Record) []string {
				r := recs[3]
				r.Data = []byte(`{"verdict":"allowed"}`)
				r.Hash = audit.Hash(r)
				r.Sig = ""
				return setRecord(st, 4, r)
			},
			seq: 4, reason: "hash recomputed", noCheck: true,
		},
	}
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					st := b.Open(t)
					key := testKey(t, 1)
					recs := appendN(t, st, audit.New(st, key), 8)
					tamper(t, st, tt.edit(t, st, recs)...)
					pub := key.Public().(ed25519PublicKey)
					if tt.noCheck {
						pub = nil
					}
					_, err := audit.Verify(context.Background(), st, pub)
					if tt.seq < 0 {
						if err != nil {
							t.Fatalf("Verify = %v, want a consistent chain", err)
						}
						return
					}
					wantTamper(t, err, tt.seq, tt.reason)
				})
			}
		})
	}
}

// setRecord overwrites every column but seq of record seq with r's.
func setRecord(st *store.Store, seq int64, r audit.Record) []string {
	at := st.TimeValue(r.At)
	atSQL := fmt.Sprintf("'%v'", at)
	if st.Dialect() == store.Postgres {
		atSQL = fmt.Sprintf("'%s'", r.At.UTC().Format("2006-01-02 15:04:05.999999Z07:00"))
	}
	return []string{fmt.Sprintf(`UPDATE audit_log SET at = %s, kind = '%s', source = '%s', ticket_key = '%s',
		data = '%s', prev_hash = '%s', hash = '%s', sig = '%s' WHERE seq = %d`,
		atSQL, r.Kind, r.Source, r.Key, r.Data, r.PrevHash, r.Hash, r.Sig, seq)}
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		appendN(t, st, audit.New(st, nil), 2)
		for _, q := range []string{`UPDATE audit_log SET kind = 'x' WHERE seq = 1`, `DELETE FROM audit_log WHERE seq = 2`} {
			if _, err := st.DB().Exec(q); err == nil {
				t.Fatalf("%s: allowed", q)
			}
		}
		if _, err := audit.Verify(context.Background(), st, nil); err != nil {
			t.Fatalf("Verify after refused edits: %v", err)
		}
	})
}
