package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accessbridge/accessbridge/adapters/directory"
	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/audit"
	"github.com/accessbridge/accessbridge/bridge/memsource"
	"github.com/accessbridge/accessbridge/bridge/pipeline"
	"github.com/accessbridge/accessbridge/bridge/server"
	"github.com/accessbridge/accessbridge/bridge/store"
	"github.com/accessbridge/accessbridge/bridge/store/storetest"
	"github.com/accessbridge/accessbridge/policy"
)

// harness runs a pipeline over an in-memory source and a real store.
type harness struct {
	t     testing.TB
	src   *memsource.Source
	st    *store.Store
	p     *pipeline.Pipeline
	srv   *httptest.Server
	clock *clock
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// backends lists the stores every pipeline test runs against.
func backends(t *testing.T) map[string]func(t *testing.T) *store.Store {
	return map[string]func(t *testing.T) *store.Store{
		"sqlite": func(t *testing.T) *store.Store {
			st, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		},
		"postgres": func(t *testing.T) *store.Store { return storetest.Postgres(t) },
	}
}

func newHarness(t testing.TB, st *store.Store) *harness {
	t.Helper()
	pol, err := policy.Load("testdata/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := directory.Load("testdata/people.csv")
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, src: memsource.New("mem", "s3cret"), st: st, clock: &clock{now: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)}}
	h.p, err = pipeline.New(pipeline.Config{
		Store: st, Audit: audit.New(st, nil), Policy: pipeline.NewPolicyHolder(pol), Directory: dir,
		Sources: map[string]bridge.Source{"mem": h.src}, EvidenceURL: "https://bridge.test", Now: h.clock.Now,
		Workers: harnessWorkers, FetchPoll: 10 * time.Millisecond, ExpireEvery: 50 * time.Millisecond, ReconcileEvery: harnessReconcile, Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := h.p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	h.srv = httptest.NewServer(server.New(server.Config{Pipeline: h.p, GateToken: "gate-token"}))
	t.Cleanup(func() {
		h.srv.Close()
		sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		h.p.Stop(sctx)
		cancel()
	})
	return h
}

// send posts a signed delivery and returns the HTTP status.
func (h *harness) send(d memsource.Delivery) int {
	h.t.Helper()
	body, _ := json.Marshal(d)
	return h.post("/webhooks/mem", body, h.src.Sign(body))
}

func (h *harness) post(path string, body []byte, sig string) int {
	h.t.Helper()
	req, _ := http.NewRequest("POST", h.srv.URL+path, bytes.NewReader(body))
	req.Header.Set("X-Signature", sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitFor polls cond until it holds; jobs run asynchronously.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (h *harness) state(key string) store.TicketState {
	h.t.Helper()
	s, _, err := h.st.Ticket(context.Background(), h.st.DB(), bridge.Ref{Source: "mem", Key: key})
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

func (h *harness) waitVerdict(key string, v policy.Verdict) store.TicketState {
	h.t.Helper()
	var s store.TicketState
	h.waitFor(fmt.Sprintf("%s to be %s", key, v), func() bool {
		s = h.state(key)
		if s.Verdict != string(v) && s.Verdict != "" {
			h.t.Logf("%s is %s: %s", key, s.Verdict, s.Decision)
		}
		return s.Verdict == string(v)
	})
	return s
}

func (h *harness) put(t bridge.Ticket) bridge.Ticket { return h.src.Put(t) }

func (h *harness) touch(key string, f func(*bridge.Ticket)) bridge.Ticket {
	cur, err := h.src.Fetch(context.Background(), key)
	if err != nil {
		h.t.Fatal(err)
	}
	f(&cur)
	cur.Updated = cur.Updated.Add(time.Second)
	return h.src.Put(cur)
}

func (h *harness) event(t bridge.Ticket, id string) int {
	return h.send(memsource.Delivery{ID: id, Key: t.Key, Kind: "updated", Revision: t.Updated.Format(time.RFC3339Nano)})
}

func (h *harness) actions(key, kind string) []bridge.Action {
	var out []bridge.Action
	for _, a := range h.src.Applied() {
		if a.Ticket.Key == key && a.Kind == kind {
			out = append(out, a)
		}
	}
	return out
}

func (h *harness) auditKinds(key string) []string {
	log := audit.New(h.st, nil)
	h.waitFor("audit records sealed", func() bool { n, err := log.Pending(context.Background()); return err == nil && n == 0 })
	recs, err := log.Records(context.Background(), bridge.Ref{Source: "mem", Key: key})
	if err != nil {
		h.t.Fatal(err)
	}
	var kinds []string
	for _, r := range recs {
		kinds = append(kinds, r.Kind)
	}
	return kinds
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

var _ = os.Getenv
var _ = filepath.Join

// harnessWorkers is the pipeline's job concurrency in tests; the benchmark
// raises it to the production default.
var harnessWorkers = 4

// harnessReconcile is the reconcile interval; zero (off) unless a test sets it.
var harnessReconcile time.Duration
