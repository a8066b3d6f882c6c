package main

import (
	"context"
	"maps"
	"strings"
	"time"
)

// checkRequests advances phase 1: a request is filed when the bridge told
// the requester its ticket key through the response URL, ready when the
// store holds it pending and its approver's DM has an Approve button for
// it. It reports true once every request is ready or failed.
func (l *slackLoad) checkRequests(ctx context.Context) bool {
	now := time.Now()
	var keys []string
	approvers := map[string]bool{}
	for _, q := range l.reqs {
		if q.ready || q.failed != "" {
			continue
		}
		if q.key == "" {
			l.findKey(q)
		}
		if q.key != "" {
			keys = append(keys, q.key)
			approvers[q.approver.SlackID] = true
		}
	}
	if len(keys) == 0 {
		return l.allSettled(func(q *slackRequest) bool { return q.ready })
	}
	rows, err := l.r.view.tickets(ctx, keys)
	if err != nil {
		return false
	}
	buttons := map[string]bool{}
	for id := range approvers {
		for _, m := range l.r.sl.fake.DMs(id) {
			if b, ok := m.Button("approve"); ok {
				buttons[b.Value] = true
			}
		}
	}
	for _, q := range l.reqs {
		if q.ready || q.failed != "" || q.key == "" {
			continue
		}
		switch v := rows[q.key].verdict; {
		case v == "pending" && q.pending.IsZero():
			q.pending = now
		case v != "" && v != "pending":
			q.failed = "first verdict " + v + " (want pending)"
			continue
		}
		if q.messaged.IsZero() && buttons["jira:"+q.key] {
			q.messaged = now
		}
		q.ready = !q.pending.IsZero() && !q.messaged.IsZero()
	}
	return l.allSettled(func(q *slackRequest) bool { return q.ready })
}

// findKey reads the ticket key (or a refusal) from what the bridge posted
// to the command's response URL.
func (l *slackLoad) findKey(q *slackRequest) {
	text := l.r.sl.posted(q.ru)
	switch {
	case text == "":
	case strings.Contains(text, "Filed"):
		if k := keyRe.FindString(text); k != "" {
			q.key = k
			l.r.up.track(k, true)
		}
	case strings.Contains(text, "not filed") || strings.Contains(text, "could not be filed"):
		q.failed = "refused: " + clipText(text, 160)
	}
}

// checkClicks advances phase 2: a click is allowed when the store holds
// the ticket allowed and the fake Jira carries that verdict's evidence
// (property digest, label, comment), told when the requester's DM says
// their request was allowed.
func (l *slackLoad) checkClicks(ctx context.Context) bool {
	now := time.Now()
	var keys []string
	requesters := map[string]bool{}
	for _, q := range l.reqs {
		if q.ready && !q.click.IsZero() && !q.done() {
			keys = append(keys, q.key)
			requesters[q.requester.SlackID] = true
		}
	}
	if len(keys) == 0 {
		return true
	}
	rows, err := l.r.view.tickets(ctx, keys)
	if err != nil {
		return false
	}
	told := map[string]bool{} // requester id | key
	for id := range requesters {
		for _, m := range l.r.sl.fake.DMs(id) {
			t := m.AllText()
			if strings.Contains(t, "Your request") && strings.Contains(t, "allowed") {
				for _, k := range keyRe.FindAllString(t, -1) {
					told[id+"|"+k] = true
				}
			}
		}
	}
	for _, q := range l.reqs {
		if !q.ready || q.click.IsZero() || q.done() {
			continue
		}
		row, ok := rows[q.key]
		switch {
		case !ok || !q.allowed.IsZero():
		case row.verdict == "allowed" && evidenceApplied(l.r.up.fake, q.key, row):
			q.allowed = now
			if m := l.r.up.marksOf(q.key); m.lastWrite.After(q.click) {
				q.allowed = m.lastWrite // the write that completed the evidence
			}
		case row.verdict == "denied" || row.verdict == "error":
			q.failed = "verdict " + row.verdict + " after the click (want allowed)"
		}
		if q.told.IsZero() && told[q.requester.SlackID+"|"+q.key] {
			q.told = now
		}
	}
	return false
}

func (l *slackLoad) allSettled(ok func(*slackRequest) bool) bool {
	for _, q := range l.reqs {
		if q.failed == "" && !ok(q) {
			return false
		}
	}
	return true
}

// idle waits until the bridge has no evaluate, apply or adapter job left
// and the Slack fake saw no call for three checks in a row (bounded: a
// job snoozed by throttling may sit for long).
func (r *runner) idle(ctx context.Context) {
	deadline := time.Now().Add(30 * time.Second)
	prev := r.sl.calls()
	for quiet := 0; quiet < 3 && time.Now().Before(deadline); {
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
		n, err := r.view.activeJobs(ctx)
		cur := r.sl.calls()
		if err == nil && n == 0 && maps.Equal(cur, prev) {
			quiet++
		} else {
			quiet = 0
		}
		prev = cur
	}
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
