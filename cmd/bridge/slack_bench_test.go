package main

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkSlackCommandAck fires 200 concurrent `/access request` commands
// at a running bridge and reports the acknowledgement latency Slack would
// see (its deadline is 3 s), then the Slack Web API calls one approval
// click costs once everything has settled.
func BenchmarkSlackCommandAck(b *testing.B) {
	w := newSlackWorld(b)
	var lat []time.Duration
	for range b.N {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range 200 {
			wg.Go(func() {
				t0 := time.Now()
				code, _ := w.command(b, "U0ALICE", "request prod-db read for 4h because reporting", time.Now(), e2eSlackSecret)
				d := time.Since(t0)
				if code != 200 {
					b.Errorf("ack %d", code)
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "ack-p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "ack-p99-ms")

	// Calls per click: one request, settled, then the manager's approval.
	w.command(b, "U0BOB", "request prod-db read because reports", time.Now(), e2eSlackSecret)
	waitFor(b, "requests filed", func() bool { return len(w.jira.Keys()) >= 200*b.N+1 })
	key := ""
	waitFor(b, "bob's request messaged", func() bool {
		for _, k := range w.jira.Keys() {
			if iss, ok := w.jira.Issue(k); ok && strings.Contains(fmt.Sprint(iss), "bob.smith") && strings.Contains(w.bridgeComment(k), "PENDING") {
				key = k
				return true
			}
		}
		return false
	})
	time.Sleep(time.Second) // let notifications of all other requests drain
	before := slackCalls(w)
	w.click(b, "U0MARIA", "approve", "jira:"+key)
	waitFor(b, "allowed", func() bool { return strings.Contains(w.bridgeComment(key), "ALLOWED") })
	time.Sleep(500 * time.Millisecond)
	b.ReportMetric(float64(slackCalls(w)-before), "slack-calls/click")
}

func slackCalls(w *slackWorld) int {
	n := 0
	for _, m := range []string{"chat.postMessage", "chat.update", "chat.postEphemeral", "views.open", "views.update", "users.info", "users.lookupByEmail", "conversations.open"} {
		n += w.slack.Calls(m)
	}
	return n
}
