package audit_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/audit"
	"github.com/accessbridge/accessbridge/bridge/store"
	"github.com/accessbridge/accessbridge/bridge/store/storetest"
)

// Records enqueued from many goroutines and sealed by several sealers at
// once (on PostgreSQL: several pools, as replicas) end up chained exactly
// once each, in one chain that verifies.
func TestEnqueueAndSeal(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		st := storetest.SQLite(t)
		testEnqueueAndSeal(t, st, st)
	})
	t.Run("postgres", func(t *testing.T) {
		cfg := storetest.PostgresConfig(t)
		testEnqueueAndSeal(t, storetest.Open(t, cfg), storetest.Open(t, cfg))
	})
}

func testEnqueueAndSeal(t *testing.T, st, replica *store.Store) {
	{
		ctx := context.Background()
		logs := []*audit.Log{audit.New(st, nil), audit.New(replica, nil)}
		const writers, each = 4, 50
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for _, l := range logs {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := l.Seal(ctx, 37); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		var ww sync.WaitGroup
		for w := range writers {
			ww.Go(func() {
				for i := range each {
					err := st.InTx(ctx, func(tx *sql.Tx) error {
						return logs[w%2].Enqueue(ctx, tx, "verdict", bridge.Ref{Source: "jira", Key: fmt.Sprintf("K-%d-%d", w, i)}, time.Now(), map[string]int{"i": i})
					})
					if err != nil {
						t.Error(err)
					}
				}
			})
		}
		ww.Wait()
		close(stop)
		wg.Wait()
		for {
			n, err := logs[0].Seal(ctx, 100)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		rep, err := audit.Verify(ctx, st, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Records != writers*each {
			t.Fatalf("chained %d records, want %d", rep.Records, writers*each)
		}
		if n, _ := logs[0].Pending(ctx); n != 0 {
			t.Fatalf("%d records still pending", n)
		}
		seen := map[string]bool{}
		for w := range writers {
			for i := range each {
				recs, err := logs[0].Records(ctx, bridge.Ref{Source: "jira", Key: fmt.Sprintf("K-%d-%d", w, i)})
				if err != nil || len(recs) != 1 {
					t.Fatalf("K-%d-%d: %d records, %v", w, i, len(recs), err)
				}
				seen[recs[0].Hash] = true
			}
		}
		if len(seen) != writers*each {
			t.Fatalf("%d distinct hashes", len(seen))
		}
	}
}
