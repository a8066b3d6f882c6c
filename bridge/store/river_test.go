package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/store"
	"github.com/accessbridge/accessbridge/bridge/store/storetest"
)

type pingArgs struct{ N int }

func (pingArgs) Kind() string { return "store_test_ping" }

type pingWorker struct {
	river.WorkerDefaults[pingArgs]
	st   *store.Store
	done chan int
}

// Work writes in its own transaction, as the pipeline's jobs do, while
// River's producer, completer and maintenance share the pool.
func (w *pingWorker) Work(ctx context.Context, job *river.Job[pingArgs]) error {
	err := w.st.InTx(ctx, func(tx *sql.Tx) error {
		return w.st.MarkAction(ctx, tx, fmt.Sprint("ping-", job.Args.N),
			bridge.Action{Kind: "ping", Ticket: bridge.Ref{Source: "test", Key: fmt.Sprint(job.Args.N)}}, bridge.ActionResult{})
	})
	if err == nil {
		w.done <- job.Args.N
	}
	return err
}

// TestRiverOnStore runs a real River client on the store's driver: jobs
// inserted in the same transaction as their delivery, then worked.
func TestRiverOnStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		const jobs = 30
		w := &pingWorker{st: st, done: make(chan int, jobs)}
		workers := river.NewWorkers()
		river.AddWorker(workers, w)
		client, err := river.NewClient(st.RiverDriver(), &river.Config{
			Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}},
			Workers:           workers,
			Schema:            st.Schema(),
			FetchPollInterval: 50 * time.Millisecond,
			FetchCooldown:     10 * time.Millisecond,
			Logger:            slog.New(slog.DiscardHandler),
			TestOnly:          true,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := client.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = client.Stop(context.Background()) })

		// Webhook handlers insert concurrently while workers run and
		// readers query the read pool.
		var wg sync.WaitGroup
		errs := make(chan error, 2*jobs)
		for i := range jobs {
			wg.Go(func() {
				errs <- st.InTx(ctx, func(tx *sql.Tx) error {
					fresh, err := st.InsertDelivery(ctx, tx, store.Delivery{Source: "test", DeliveryID: fmt.Sprint(i), Status: store.DeliveryAccepted})
					if err != nil || !fresh {
						return fmt.Errorf("delivery fresh=%v: %w", fresh, err)
					}
					_, err = client.InsertTx(ctx, tx, pingArgs{N: i}, nil)
					return err
				})
				if _, err := st.CountDeliveries(ctx); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("insert: %v", err)
			}
		}
		seen := map[int]bool{}
		for len(seen) < jobs {
			select {
			case n := <-w.done:
				seen[n] = true
			case <-ctx.Done():
				t.Fatalf("only %d of %d jobs worked", len(seen), jobs)
			}
		}
		for i := range jobs {
			if done, err := st.ActionDone(ctx, st.DB(), fmt.Sprint("ping-", i)); !done || err != nil {
				t.Fatalf("job %d left no action: %v", i, err)
			}
		}
	})
}
