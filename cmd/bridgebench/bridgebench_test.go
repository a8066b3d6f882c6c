package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestRunTinyWorkload drives a real `bridge serve` process end to end and
// checks what the fake Jira received: every event evaluated, identity
// tickets carrying their evidence, and no duplicate action.
func TestRunTinyWorkload(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the bridge binary; skipped under -short")
	}
	tests := []struct {
		name string
		opts Options
	}{
		{"cloud with edits", Options{Tickets: 50, Updates: 1, Mix: 0.5, Concurrency: 8}},
		{"cloud one event", Options{Tickets: 40, Mix: 0.5, Concurrency: 8}},
		{"datacenter with edits", Options{Tickets: 40, Updates: 1, Mix: 0.5, Concurrency: 8, Deployment: deployDC}},
		{"sqlite under faults", Options{Tickets: 30, Mix: 1, Concurrency: 8, Faults: 0.1, Throttle: 0.05}},
	}
	if url := os.Getenv("BRIDGE_TEST_POSTGRES_URL"); url != "" {
		tests = append(tests, struct {
			name string
			opts Options
		}{"postgres two replicas", Options{Tickets: 40, Mix: 0.5, Concurrency: 8, DB: url, Replicas: 2}})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sum := runTiny(t, tc.opts)
			wantEvents := tc.opts.Tickets * (tc.opts.Updates + 1)
			if sum.Events != wantEvents || sum.Done != wantEvents || sum.Lost != 0 {
				t.Fatalf("events %d done %d lost %d, want %d done", sum.Events, sum.Done, sum.Lost, wantEvents)
			}
			if sum.DuplicateActions != 0 {
				t.Errorf("duplicate actions on the fake: %d", sum.DuplicateActions)
			}
			if got := sum.StoreRows["tickets"]; got != int64(tc.opts.Tickets) {
				t.Errorf("store holds %d tickets, want %d", got, tc.opts.Tickets)
			}
			if sum.Identity > 0 && sum.CallsPerEvent[classIdentity]["PUT issue/{key}/properties/{prop}"] == 0 && sum.CallsPerEvent[classIdentity]["PUT issue/{key}"] == 0 {
				t.Errorf("no evidence property was written: %v", sum.CallsPerEvent)
			}
			if tc.opts.Throttle == 0 && tc.opts.Faults == 0 && sum.CallsPerTicket[classOther] != float64(tc.opts.Updates+1) && sum.Identity < tc.opts.Tickets {
				t.Errorf("non-identity tickets cost %.2f calls each, want one fetch per event", sum.CallsPerTicket[classOther])
			}
			switch clean := tc.opts.Throttle == 0 && tc.opts.Faults == 0; {
			case !clean || sum.Identity == 0:
			case tc.opts.Replicas > 1:
				// Known bridge bug: the Jira adapter's Fetch cache is per
				// process, so an apply job run by another replica re-reads
				// the labels and lists the comments (0.8 extra calls
				// per identity event with two replicas, 1.2 with three). Reported, not asserted.
				t.Logf("identity calls per event with %d replicas: %v", tc.opts.Replicas, sum.CallsPerEvent[classIdentity])
			default:
				checkEvidenceCalls(t, sum, tc.opts)
			}
			if sum.PeakRSSBytes <= 0 || sum.StoreBytes <= 0 {
				t.Errorf("peak RSS %d, store %d bytes: want both measured", sum.PeakRSSBytes, sum.StoreBytes)
			}
			var text strings.Builder
			if err := sum.WriteText(&text); err != nil || !strings.Contains(text.String(), "events/s end to end") {
				t.Errorf("text summary: %v\n%s", err, text.String())
			}
		})
	}
}

// checkEvidenceCalls: on Cloud an identity event whose verdict changes
// costs exactly the fetch, the comment and one edit carrying labels and
// the property; Data Center writes the property separately.
func checkEvidenceCalls(t *testing.T, sum *Summary, o Options) {
	t.Helper()
	per := sum.CallsPerEvent[classIdentity]
	want := map[string]float64{"GET issue/{key}": 1, "PUT issue/{key}": 1}
	if o.Deployment == deployDC {
		// The label edit is skipped when an edit leaves the labels as they were.
		delete(want, "PUT issue/{key}")
		if n := per["PUT issue/{key}"]; n <= 0 || n > 1 {
			t.Errorf("datacenter label edits = %.2f per event, want (0, 1]", n)
		}
		want["PUT issue/{key}/properties/{prop}"] = 1
	} else if per["PUT issue/{key}/properties/{prop}"] != 0 {
		t.Errorf("cloud wrote the property separately: %v", per)
	}
	if o.Updates == 0 {
		want["POST issue/{key}/comment"] = 1 // edits update the comment in place instead
	}
	for ep, n := range want {
		if per[ep] != n {
			t.Errorf("identity calls %s = %.2f per event, want %.0f (all: %v)", ep, per[ep], n, per)
		}
	}
}

// TestRunSlackTiny files a few requests through signed /access commands,
// clicks the managers' Approve buttons and checks every request ended
// allowed with its evidence on the ticket and the requester told.
func TestRunSlackTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the bridge binary; skipped under -short")
	}
	tests := []struct {
		name string
		opts Options
	}{
		{"datacenter", Options{Scenario: "slack", Tickets: 6, Concurrency: 6, Deployment: deployDC}},
		{"cloud", Options{Scenario: "slack", Tickets: 6, Concurrency: 6, Deployment: deployCloud}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sum := runTiny(t, tc.opts)
			f := sum.Slack
			if f == nil {
				t.Fatal("no Slack figures")
			}
			n := tc.opts.Tickets
			if f.Filed != n || f.Ready != n || f.Clicks != n || f.Allowed != n || f.Told != n || sum.Lost != 0 {
				t.Fatalf("filed %d ready %d clicks %d allowed %d told %d lost %d, want %d each and none lost; failed %v",
					f.Filed, f.Ready, f.Clicks, f.Allowed, f.Told, sum.Lost, n, f.Failed)
			}
			if f.CommandAck.N != n || f.ClickAck.N != n {
				t.Errorf("acks measured: %d commands, %d clicks", f.CommandAck.N, f.ClickAck.N)
			}
			if f.SlackPerClick["chat.update"] < 1 || f.JiraPerRequest["POST issue"] != 1 {
				t.Errorf("calls: slack per click %v, jira per request %v", f.SlackPerClick, f.JiraPerRequest)
			}
			if sum.DuplicateActions != 0 {
				t.Errorf("duplicate actions on the fake: %d", sum.DuplicateActions)
			}
		})
	}
}

func runTiny(t *testing.T, o Options) *Summary {
	t.Helper()
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	if o.Scenario == "" {
		o.Scenario = "jira"
	}
	o.Timeout, o.LogLevel, o.Seed, o.RetryAfter = 3*time.Minute, "warn", 7, 0
	o.BridgeBin = bridgeBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), o.Timeout+time.Minute)
	t.Cleanup(cancel)
	sum, err := Run(ctx, o)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return sum
}

// bridgeBinary builds ./cmd/bridge once per test binary.
func bridgeBinary(t *testing.T) string {
	t.Helper()
	if builtBin != "" {
		return builtBin
	}
	dir, err := os.MkdirTemp("", "bridgebench-test-")
	if err != nil {
		t.Fatal(err)
	}
	bin, err := buildBridge(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	builtBin = bin
	return bin
}

var builtBin string

func TestMain(m *testing.M) {
	code := m.Run()
	if builtBin != "" {
		os.RemoveAll(strings.TrimSuffix(builtBin, "/bridge"))
	}
	os.Exit(code)
}

func TestOptionsValidate(t *testing.T) {
	base := func() Options {
		return Options{Tickets: 10, Concurrency: 1, Mix: 0.5, Replicas: 1, Scenario: "jira", Deployment: deployCloud, Timeout: time.Minute}
	}
	tests := []struct {
		name string
		edit func(*Options)
		ok   bool
	}{
		{"defaults", func(*Options) {}, true},
		{"replicas need postgres", func(o *Options) { o.Replicas = 3 }, false},
		{"postgres replicas", func(o *Options) { o.Replicas = 3; o.DB = "postgres://postgres@127.0.0.1:5432/test" }, true},
		{"remote database refused", func(o *Options) { o.DB = "postgres://db.example.com/test" }, false},
		{"mix above one", func(o *Options) { o.Mix = 1.5 }, false},
		{"faults and throttle cover everything", func(o *Options) { o.Faults, o.Throttle = 0.5, 0.5 }, false},
		{"unknown scenario", func(o *Options) { o.Scenario = "servicenow" }, false},
		{"slack scenario", func(o *Options) { o.Scenario = "slack" }, true},
		{"datacenter", func(o *Options) { o.Deployment = deployDC }, true},
		{"unknown deployment", func(o *Options) { o.Deployment = "server" }, false},
		{"no tickets", func(o *Options) { o.Tickets = 0 }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := base()
			tc.edit(&o)
			if err := o.validate(); (err == nil) != tc.ok {
				t.Errorf("validate() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestEndpointOf(t *testing.T) {
	tests := []struct{ path, endpoint, key string }{
		{"/rest/api/2/issue/ACC-1", "issue/{key}", "ACC-1"},
		{"/rest/api/2/issue/ACC-1/comment", "issue/{key}/comment", "ACC-1"},
		{"/rest/api/3/issue/ACC-9/comment/20001", "issue/{key}/comment/{id}", "ACC-9"},
		{"/rest/api/2/issue/ACC-2/properties/accessbridge.evidence", "issue/{key}/properties/{prop}", "ACC-2"},
		{"/rest/api/2/search", "search", ""},
		{"/rest/api/2/myself", "myself", ""},
		{"/other", "/other", ""},
	}
	for _, tc := range tests {
		ep, key := endpointOf(tc.path)
		if ep != tc.endpoint || key != tc.key {
			t.Errorf("endpointOf(%q) = %q, %q; want %q, %q", tc.path, ep, key, tc.endpoint, tc.key)
		}
	}
}

func TestLatencyOf(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	l := latencyOf(ds)
	if l.N != 100 || l.P50 != 50 || l.P95 != 95 || l.P99 != 99 || l.Max != 100 {
		t.Errorf("latencyOf = %+v", l)
	}
	if (latencyOf(nil) != Latency{}) {
		t.Error("latencyOf(nil) is not zero")
	}
}
