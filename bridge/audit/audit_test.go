package audit_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/audit"
	"github.com/accessbridge/accessbridge/bridge/store"
	"github.com/accessbridge/accessbridge/bridge/store/storetest"
)

func TestHashIsSHA256OfCanonicalEnvelope(t *testing.T) {
	r := audit.Record{Seq: 1, At: t0.Truncate(1000), Kind: "verdict", Source: "jira", Key: "IT-1",
		Data: json.RawMessage(`{ "b": 1.50, "a": "<x>" }`), PrevHash: audit.GenesisHash}
	want := `{"at":"2026-03-01T09:30:00.123456Z","data":{"a":"<x>","b":1.50},"key":"IT-1","kind":"verdict","prev":"` +
		audit.GenesisHash + `","seq":1,"source":"jira"}`
	sum := sha256.Sum256([]byte(want))
	if got := audit.Hash(r); got != hex.EncodeToString(sum[:]) {
		t.Fatalf("Hash = %s, want sha256 of %s", got, want)
	}
}

func TestCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"b":1,"a":2}`, `{"a":2,"b":1}`},
		{" {\n \"z\" : [ 1 , 2 ] ,\"a\":{\"y\":null,\"x\":true}}\n", `{"a":{"x":true,"y":null},"z":[1,2]}`},
		{`[1.0, 1e2, 12345678901234567890123, -0.5]`, `[1.0,1e2,12345678901234567890123,-0.5]`},
		{`"<&>"`, `"<&>"`},
		{`"\u00e9"`, `"é"`},
		{`null`, `null`},
	}
	for _, tt := range tests {
		got, err := audit.Canonical([]byte(tt.in))
		if err != nil || string(got) != tt.want {
			t.Errorf("Canonical(%s) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{``, `{`, `{"a":1} x`, `{"a":1}{}`} {
		if _, err := audit.Canonical([]byte(bad)); err == nil {
			t.Errorf("Canonical(%q) accepted", bad)
		}
	}
}

func TestAppendBuildsChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		key := testKey(t, 1)
		l := audit.New(st, key)
		recs := appendN(t, st, l, 5)
		prev := audit.GenesisHash
		for i, r := range recs {
			if r.Seq != int64(i+1) || r.PrevHash != prev || r.Hash != audit.Hash(r) || !audit.VerifySig(key.Public().(ed25519PublicKey), r.Hash, r.Sig) {
				t.Fatalf("record %d = %+v", i, r)
			}
			prev = r.Hash
		}
		rep, err := audit.Verify(context.Background(), st, key.Public().(ed25519PublicKey))
		if err != nil || rep.Records != 5 || rep.Signed != 5 || rep.Head != recs[4].Hash {
			t.Fatalf("Verify = %+v, %v", rep, err)
		}
		got, err := l.Records(context.Background(), bridge.Ref{Source: "jira", Key: "IT-2"})
		if err != nil || len(got) != 2 || got[0].Seq != 2 || got[1].Seq != 5 {
			t.Fatalf("Records(IT-2) = %+v, %v", got, err)
		}
		if got[0].Hash != recs[1].Hash || !got[0].At.Equal(recs[1].At) || string(got[0].Data) != string(recs[1].Data) {
			t.Fatalf("stored record differs: %+v vs %+v", got[0], recs[1])
		}
	})
}

func TestAppendRollsBackWithTx(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		l := audit.New(st, nil)
		appendN(t, st, l, 2)
		_ = st.InTx(ctx, func(tx *sql.Tx) error {
			if _, err := l.Append(ctx, tx, "verdict", bridge.Ref{}, t0, "x"); err != nil {
				t.Fatal(err)
			}
			return fmt.Errorf("abort")
		})
		recs := appendN(t, st, l, 1)
		if recs[0].Seq != 3 {
			t.Fatalf("seq after rollback = %d, want 3", recs[0].Seq)
		}
		if rep, err := audit.Verify(ctx, st, nil); err != nil || rep.Records != 3 || rep.Signed != 0 {
			t.Fatalf("Verify = %+v, %v", rep, err)
		}
	})
}

func TestVerifyEmptyLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		rep, err := audit.Verify(context.Background(), st, nil)
		if err != nil || rep.Records != 0 {
			t.Fatalf("Verify empty = %+v, %v", rep, err)
		}
	})
}

func TestAppendRejectsBadInput(t *testing.T) {
	st := storetest.SQLite(t)
	l := audit.New(st, nil)
	ctx := context.Background()
	for name, tc := range map[string]struct {
		kind string
		data any
	}{
		"empty kind":   {"", 1},
		"invalid json": {"verdict", json.RawMessage(`{`)},
		"unencodable":  {"verdict", func() {}},
	} {
		err := st.InTx(ctx, func(tx *sql.Tx) error {
			_, err := l.Append(ctx, tx, tc.kind, bridge.Ref{}, t0, tc.data)
			return err
		})
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// Appenders in many goroutines, and on PostgreSQL in several pools acting
// as replicas, produce one unbroken chain.
func TestConcurrentAppendsOneChain(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			var stores []*store.Store
			if b.Name == store.Postgres {
				cfg := storetest.PostgresConfig(t)
				for range 3 {
					stores = append(stores, storetest.Open(t, cfg))
				}
			} else {
				stores = []*store.Store{b.Open(t)}
			}
			key := testKey(t, 2)
			const goroutines, each = 12, 20
			var wg sync.WaitGroup
			errs := make(chan error, goroutines)
			for g := range goroutines {
				st := stores[g%len(stores)]
				l := audit.New(st, key)
				wg.Go(func() {
					ctx := context.Background()
					for i := range each {
						err := st.InTx(ctx, func(tx *sql.Tx) error {
							_, err := l.Append(ctx, tx, "verdict", bridge.Ref{Source: "jira", Key: fmt.Sprint("IT-", g)}, t0, map[string]int{"g": g, "i": i})
							return err
						})
						if err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatalf("append: %v", err)
			}
			rep, err := audit.Verify(context.Background(), stores[0], key.Public().(ed25519PublicKey))
			if err != nil || rep.Records != goroutines*each || rep.Signed != goroutines*each {
				t.Fatalf("Verify = %+v, %v", rep, err)
			}
		})
	}
}
