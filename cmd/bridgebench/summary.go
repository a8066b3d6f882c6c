package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

// Summary is the outcome of one run.
type Summary struct {
	Scenario    string  `json:"scenario"`
	Deployment  string  `json:"deployment"` // the Jira the fake played: cloud | datacenter
	Store       string  `json:"store"`      // sqlite | postgres
	Replicas    int     `json:"replicas"`
	Tickets     int     `json:"tickets"`
	Updates     int     `json:"updates_per_ticket"`
	Mix         float64 `json:"identity_share"`
	Identity    int     `json:"identity_tickets"`
	Concurrency int     `json:"concurrency"`
	Throttle    float64 `json:"throttle"`
	Faults      float64 `json:"faults"`
	Kill        bool    `json:"kill"`

	Events     int     `json:"events"`      // webhooks the workload needed
	Done       int     `json:"events_done"` // events whose evaluation (and evidence) was observed
	Lost       int     `json:"events_lost"` // never done within the timeout
	Seconds    float64 `json:"seconds"`     // first webhook sent → last event done
	EventsPerS float64 `json:"events_per_second"`
	TimedOut   bool    `json:"timed_out"`

	Ack      Latency            `json:"ack_latency_ms"`
	Evidence Latency            `json:"time_to_evidence_ms"`
	Stages   map[string]Latency `json:"stages_ms,omitempty"`
	Outcomes map[string]int     `json:"webhook_outcomes"`
	Errors   map[string]int     `json:"tool_errors,omitempty"`

	CallsPerEvent    map[string]map[string]float64 `json:"upstream_calls_per_event"` // class → endpoint → calls/event
	CallsPerTicket   map[string]float64            `json:"upstream_calls_per_ticket"`
	UpstreamStatus   map[string]int                `json:"upstream_status"`
	FakeCalls        map[string]int                `json:"fake_calls"`
	DuplicateActions int                           `json:"duplicate_actions"`

	StoreRows    map[string]int64 `json:"store_rows,omitempty"`
	ReEvaluated  int64            `json:"re_evaluations"` // evaluations beyond one per event
	StoreBytes   int64            `json:"store_bytes"`
	PeakRSSBytes int64            `json:"bridge_peak_rss_bytes"` // max VmHWM over every bridge process
	BridgeCPU    float64          `json:"bridge_cpu_seconds"`    // all bridge processes
	ToolCPU      float64          `json:"tool_cpu_seconds"`      // the tool with the fakes and senders
	Downtime     float64          `json:"kill_downtime_seconds,omitempty"`
	CPUProfile   string           `json:"cpu_profile,omitempty"`
	TempDir      string           `json:"temp_dir,omitempty"`
	Notes        []string         `json:"notes,omitempty"`

	Slack *SlackFigures `json:"slack,omitempty"` // the Slack scenario
}

// Latency holds percentiles in milliseconds.
type Latency struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func latencyOf(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) float64 {
		i := int(q*float64(len(s))+0.5) - 1
		i = max(0, min(i, len(s)-1))
		return ms(s[i])
	}
	return Latency{N: len(s), P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: ms(s[len(s)-1])}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Correct: nothing lost, nothing done twice.
func (s *Summary) Correct() bool { return s.Lost == 0 && s.DuplicateActions == 0 && !s.TimedOut }

// WriteJSON prints the summary for machines.
func (s *Summary) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// WriteText prints the summary for people.
func (s *Summary) WriteText(w io.Writer) error {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	p("bridgebench: scenario %s, Jira %s, store %s ×%d, %d tickets (%d identity) × %d event(s), concurrency %d",
		s.Scenario, s.Deployment, s.Store, s.Replicas, s.Tickets, s.Identity, s.Updates+1, s.Concurrency)
	if s.Throttle > 0 || s.Faults > 0 || s.Kill {
		p("faults: throttle %.2f, 5xx %.2f, kill %v (downtime %.2fs)", s.Throttle, s.Faults, s.Kill, s.Downtime)
	}
	p("events: %d sent, %d done, %d lost%s in %.2fs → %.0f events/s end to end",
		s.Events, s.Done, s.Lost, map[bool]string{true: " (TIMED OUT)"}[s.TimedOut], s.Seconds, s.EventsPerS)
	p("webhook ack ms:      %s   outcomes %v", s.Ack, sortedMap(s.Outcomes))
	p("time to evidence ms: %s", s.Evidence)
	for _, k := range sortedKeys(s.Stages) {
		p("  %-40s %s", k, s.Stages[k])
	}
	if s.Slack != nil {
		s.Slack.write(p)
	}
	p("upstream calls per ticket: %v", sortedMapF(s.CallsPerTicket))
	for _, class := range sortedKeys(s.CallsPerEvent) {
		p("  %s per event: %v", class, sortedMapF(s.CallsPerEvent[class]))
	}
	p("upstream statuses: %v", sortedMap(s.UpstreamStatus))
	p("duplicate actions seen by the fake: %d; re-evaluations beyond one per event: %d", s.DuplicateActions, s.ReEvaluated)
	p("store: %.1f MB after the run, rows %v", float64(s.StoreBytes)/1e6, sortedMap64(s.StoreRows))
	p("bridge: peak RSS %.1f MB, CPU %.1fs (%.0f%% of one core over the measured span); tool CPU %.1fs",
		float64(s.PeakRSSBytes)/1e6, s.BridgeCPU, 100*s.BridgeCPU/max(s.Seconds, 1), s.ToolCPU)
	if len(s.Errors) > 0 {
		p("tool errors: %v", sortedMap(s.Errors))
	}
	if s.CPUProfile != "" {
		p("cpu profile: %s (go tool pprof -top %s)", s.CPUProfile, s.CPUProfile)
	}
	for _, n := range s.Notes {
		p("note: %s", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (l Latency) String() string {
	return fmt.Sprintf("p50 %7.1f  p95 %7.1f  p99 %7.1f  max %7.1f  (n=%d)", l.P50, l.P95, l.P99, l.Max, l.N)
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func sortedMap(m map[string]int) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return "{" + strings.Join(parts, " ") + "}"
}

func sortedMap64(m map[string]int64) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return "{" + strings.Join(parts, " ") + "}"
}

func sortedMapF(m map[string]float64) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s=%.2f", k, m[k]))
	}
	return "{" + strings.Join(parts, " ") + "}"
}

func (f *SlackFigures) write(p func(string, ...any)) {
	p("slack: %d requests, %d filed, %d pending+messaged, %d clicks, %d allowed, %d requesters told; failed %v",
		f.Requests, f.Filed, f.Ready, f.Clicks, f.Allowed, f.Told, sortedMap(f.Failed))
	p("  command ack ms:                %s", f.CommandAck)
	p("  command → pending+messaged ms: %s", f.ToReady)
	p("  click ack ms:                  %s", f.ClickAck)
	p("  click → allowed evidence ms:   %s", f.ToAllowed)
	p("  click → requester told ms:     %s", f.ToTold)
	p("  Slack calls per request: %v", sortedMapF(f.SlackPerRequest))
	p("  Slack calls per click:   %v (total %.2f)", sortedMapF(f.SlackPerClick), sum(f.SlackPerClick))
	p("  Jira calls per request:  %v", sortedMapF(f.JiraPerRequest))
	p("  Jira calls per click:    %v (total %.2f)", sortedMapF(f.JiraPerClick), sum(f.JiraPerClick))
}

func sum(m map[string]float64) float64 {
	t := 0.0
	for _, v := range m {
		t += v
	}
	return t
}
