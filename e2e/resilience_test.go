package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accessbridge/accessbridge/adapters/jira/jirafake"
)

// TestJiraResilience: upstream faults, throttling and a restart never
// duplicate a comment, and the bridge does not loop on its own changes.
// It also prints upstream calls per evaluation and gate latency.
func TestJiraResilience(t *testing.T) {
	e := newJiraEnv(t, false)
	f := e.f

	t.Run("calls per evaluation", func(t *testing.T) {
		before := f.Calls()
		key := e.create(t, "Need viewer access to datadog for the dashboards")
		e.waitVerdict(t, key, "pending")
		e.settle(t)
		n, routes := callDelta(before, f.Calls())
		t.Logf("verdict change (new ticket → pending): %d upstream calls: %v", n, routes)
		before = f.Calls()
		evals := ticketState(t, e.st, key).Evaluations
		mustComment(t, f, requester, key, "any news on this?")
		waitFor(t, 20*time.Second, "re-evaluation", func() bool { return ticketState(t, e.st, key).Evaluations > evals })
		e.settle(t)
		n, routes = callDelta(before, f.Calls())
		t.Logf("no-change re-evaluation (human comment): %d upstream calls: %v", n, routes)
		if n > 2 {
			t.Errorf("a re-evaluation that changes nothing made %d upstream calls: %v", n, routes)
		}
	})

	t.Run("faults after apply", func(t *testing.T) {
		f.Faults(0.3, jirafake.After)
		keys := make([]string, 5)
		for i := range keys {
			keys[i] = e.create(t, fmt.Sprintf("Need viewer access to datadog (team %d)", i))
		}
		for _, k := range keys {
			waitFor(t, 90*time.Second, k+" evidence comment under faults", func() bool { return len(evidenceComments(f, k)) > 0 })
		}
		f.Faults(0, jirafake.Before)
		for _, k := range keys {
			e.waitVerdict(t, k, "pending")
		}
		e.settle(t)
		t.Logf("failed actions retried: %.0f; upstream errors seen by the pipeline: %.0f",
			e.b.metric(`bridge_actions_total{kind="comment",result="error"}`)+e.b.metric(`bridge_actions_total{kind="label",result="error"}`)+e.b.metric(`bridge_actions_total{kind="property",result="error"}`),
			e.b.metric("bridge_upstream_errors_total"))
		if n := duplicates(f); n != 0 {
			t.Errorf("DuplicateComments = %v", f.DuplicateComments())
		}
	})

	t.Run("throttled", func(t *testing.T) {
		f.Throttle(0.4, time.Second)
		keys := []string{e.create(t, "Need viewer access to datadog please"), e.create(t, "Need editor access to datadog please")}
		mustComment(t, f, manager, keys[0], "/approve")
		for _, k := range keys {
			waitFor(t, 90*time.Second, k+" evidence comment while throttled", func() bool { return len(evidenceComments(f, k)) > 0 })
		}
		f.Throttle(0, 0)
		e.waitVerdict(t, keys[0], "allowed")
		e.waitVerdict(t, keys[1], "pending")
		e.settle(t)
		if n := duplicates(f); n != 0 {
			t.Errorf("DuplicateComments = %v", f.DuplicateComments())
		}
		if e.r.status(http.StatusTooManyRequests) != 0 {
			t.Errorf("the bridge answered a webhook with 429")
		}
	})

	t.Run("restart", func(t *testing.T) {
		key := e.create(t, "Need viewer access to datadog after restart")
		e.waitVerdict(t, key, "pending")
		e.settle(t)
		e.b.stop()
		e.r.setBackends() // the load balancer has nowhere to send: 502, the fake redelivers
		mustComment(t, f, manager, key, "/approve")
		waitFor(t, 10*time.Second, "a failed delivery while down", func() bool { return e.r.status(http.StatusBadGateway) > 0 })
		e.b.restart()
		e.r.setBackends(e.b.addr)
		e.waitVerdict(t, key, "allowed")
		e.settle(t)
		if n := duplicates(f); n != 0 {
			t.Errorf("DuplicateComments = %v", f.DuplicateComments())
		}
	})

	t.Run("no loop on own changes", func(t *testing.T) {
		e.settle(t)
		evals := e.b.metric("bridge_evaluations_total")
		relayed := e.r.received.Load()
		calls, _ := callDelta(nil, f.Calls())
		e.settle(t) // another quiet period: nothing may start by itself
		calls2, _ := callDelta(nil, f.Calls())
		if ev2 := e.b.metric("bridge_evaluations_total"); ev2 != evals || e.r.received.Load() != relayed || calls2 != calls {
			t.Errorf("activity without a human change: evaluations %v→%v, deliveries %d→%d, calls %d→%d", evals, ev2, relayed, e.r.received.Load(), calls, calls2)
		}
		var humans, bots int
		for _, d := range f.Deliveries() {
			if strings.Contains(string(d.Body), `"name":"`+jirafake.BotName+`"`) {
				bots++
			} else {
				humans++
			}
		}
		t.Logf("after settling: %d webhook deliveries (%d caused by the bridge's own changes), %d relayed, %.0f evaluations since the restart",
			humans+bots, bots, relayed, evals)
	})

	t.Run("gate latency", func(t *testing.T) {
		key := e.create(t, "Need viewer access to datadog for gate timing")
		e.waitVerdict(t, key, "pending")
		e.settle(t)
		const n = 500
		lat := make([]time.Duration, 0, n)
		start := time.Now()
		for range n {
			t0 := time.Now()
			if ans := e.b.gate(t, key, "Approved"); ans["allow"] != false {
				t.Fatalf("gate = %v", ans)
			}
			lat = append(lat, time.Since(t0))
		}
		total := time.Since(start)
		slices.Sort(lat)
		pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
		t.Logf("/v1/gate against the fake, %d sequential calls: p50 %s, p90 %s, p99 %s, max %s (%.0f/s)",
			n, pct(0.50), pct(0.90), pct(0.99), lat[len(lat)-1], float64(n)/total.Seconds())
	})
}
