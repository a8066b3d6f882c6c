package main

import (
	"strings"
	"time"
)

// SlackFigures are the Slack scenario's own figures.
type SlackFigures struct {
	Requests int            `json:"requests"`
	Filed    int            `json:"filed"`   // the requester was told the ticket key
	Ready    int            `json:"ready"`   // pending, approver messaged
	Clicks   int            `json:"clicks"`  // Approve clicks sent
	Allowed  int            `json:"allowed"` // allowed evidence on the ticket
	Told     int            `json:"told"`    // requester DMed the allowed verdict
	Failed   map[string]int `json:"failed,omitempty"`

	CommandAck Latency `json:"command_ack_ms"`          // Slack's deadline: 3 s
	ToReady    Latency `json:"command_to_ready_ms"`     // command sent → pending and approver messaged (observed)
	ClickAck   Latency `json:"click_ack_ms"`            // Approve click acknowledged
	ToAllowed  Latency `json:"click_to_allowed_ms"`     // click sent → last Jira write of the allowed evidence
	ToTold     Latency `json:"click_to_requester_told"` // click sent → requester's DM observed

	SlackPerRequest map[string]float64 `json:"slack_calls_per_request"` // Web API method → calls
	SlackPerClick   map[string]float64 `json:"slack_calls_per_click"`
	JiraPerRequest  map[string]float64 `json:"jira_calls_per_request"` // endpoint → calls
	JiraPerClick    map[string]float64 `json:"jira_calls_per_click"`
}

// slackPhases are counter snapshots: before the requests, after them (the
// bridge idle), after the clicks (idle again).
type slackPhases struct {
	slack0, slack1, slack2 map[string]int
	jira0, jira1, jira2    map[string]int
	clicks                 int
}

func (r *runner) summarizeSlack(l *slackLoad, ph slackPhases, timedOut bool) *Summary {
	s := r.baseSummary(timedOut)
	n := len(l.reqs)
	s.Identity = n
	f := &SlackFigures{Requests: n, Clicks: ph.clicks, Failed: map[string]int{}}
	var toReady, toAllowed, toTold []time.Duration
	var first, last time.Time
	for _, q := range l.reqs {
		if first.IsZero() || (!q.sent.IsZero() && q.sent.Before(first)) {
			first = q.sent
		}
		if q.key != "" {
			f.Filed++
		}
		if q.failed != "" {
			f.Failed[q.failed]++
		}
		if q.ready {
			f.Ready++
			toReady = append(toReady, later(q.pending, q.messaged).Sub(q.sent))
		}
		if !q.allowed.IsZero() {
			f.Allowed++
			toAllowed = append(toAllowed, q.allowed.Sub(q.click))
			last = later(last, q.allowed)
		}
		if !q.told.IsZero() {
			f.Told++
			toTold = append(toTold, q.told.Sub(q.click))
			last = later(last, q.told)
		}
		if q.done() && q.failed == "" {
			s.Done++
		}
	}
	l.mu.Lock()
	f.CommandAck, f.ClickAck = latencyOf(l.cmdAcks), latencyOf(l.clickAcks)
	s.Outcomes, s.Errors = l.outcomes, l.errs
	l.mu.Unlock()
	f.ToReady, f.ToAllowed, f.ToTold = latencyOf(toReady), latencyOf(toAllowed), latencyOf(toTold)
	f.SlackPerRequest, f.SlackPerClick = perUnit(ph.slack1, ph.slack0, n), perUnit(ph.slack2, ph.slack1, ph.clicks)
	f.JiraPerRequest = perUnit(byEndpoint(ph.jira1), byEndpoint(ph.jira0), n)
	f.JiraPerClick = perUnit(byEndpoint(ph.jira2), byEndpoint(ph.jira1), ph.clicks)
	s.Slack = f
	s.Events, s.Lost = n, n-s.Done
	s.Ack, s.Evidence = f.CommandAck, f.ToAllowed
	if last.After(first) {
		s.Seconds = last.Sub(first).Seconds()
		s.EventsPerS = float64(s.Done) / s.Seconds
	}
	r.finishSummary(s)
	// Each filed request is evaluated once, and once more per click.
	s.ReEvaluated = s.StoreRows["evaluations"] - int64(f.Filed+f.Clicks)
	return s
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// perUnit is (after − before) / n for every counter that moved.
func perUnit(after, before map[string]int, n int) map[string]float64 {
	out := map[string]float64{}
	if n == 0 {
		return out
	}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = float64(d) / float64(n)
		}
	}
	return out
}

// byEndpoint folds "class|METHOD endpoint" counters into "METHOD endpoint".
func byEndpoint(m map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		_, ep, _ := strings.Cut(k, "|")
		out[ep] += v
	}
	return out
}
