package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/memsource"
	"github.com/accessbridge/accessbridge/bridge/store"
	"github.com/accessbridge/accessbridge/bridge/store/storetest"
)

// BenchmarkPipeline sends b.N webhooks (half of them identity tickets) with
// 32 concurrent senders through the HTTP server and waits until every
// ticket has a recorded verdict. It reports webhook acknowledgement
// latency and end-to-end events per second. Run with e.g.
// -bench Pipeline -benchtime 3000x.
func BenchmarkPipeline(b *testing.B) {
	stores := map[string]func(testing.TB) *store.Store{"sqlite": storetest.SQLite, "postgres": storetest.Postgres}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			harnessWorkers = 20
			defer func() { harnessWorkers = 4 }()
			h := newHarness(b, stores[name](b))
			for i := range b.N {
				summary := "printer on floor 3 is jammed again"
				if i%2 == 0 {
					summary = "please grant access to prod-db read"
				}
				h.put(bridge.Ticket{Key: fmt.Sprintf("B-%d", i), Status: "Open", Summary: summary, Requester: "alice.nguyen@example.com"})
			}
			b.ResetTimer()
			start := time.Now()
			acks := sendAll(b, h, b.N, 32)
			h.waitFor("all evaluated", func() bool { return countTickets(b, h) >= b.N })
			elapsed := time.Since(start)
			b.StopTimer()
			slices.Sort(acks)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
			b.ReportMetric(ms(acks[len(acks)/2]), "ack-p50-ms")
			b.ReportMetric(ms(acks[len(acks)*99/100]), "ack-p99-ms")
		})
	}
}

func sendAll(b *testing.B, h *harness, n, workers int) []time.Duration {
	jobs := make(chan int)
	var mu sync.Mutex
	acks := make([]time.Duration, 0, n)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				body, _ := json.Marshal(memsource.Delivery{ID: fmt.Sprintf("bench-%d", i), Key: fmt.Sprintf("B-%d", i), Kind: "created", Revision: "1"})
				t0 := time.Now()
				code := h.post("/webhooks/mem", body, h.src.Sign(body))
				d := time.Since(t0)
				if code != http.StatusAccepted {
					b.Errorf("webhook answered %d", code)
				}
				mu.Lock()
				acks = append(acks, d)
				mu.Unlock()
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return acks
}

func countTickets(b *testing.B, h *harness) int {
	var n int
	if err := h.st.ReadDB().QueryRowContext(context.Background(), "SELECT count(*) FROM tickets").Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
