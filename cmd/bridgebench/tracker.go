package main

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/accessbridge/accessbridge/adapters/jira"
	"github.com/accessbridge/accessbridge/adapters/jira/jirafake"
)

// tracker decides when each event is done: the store has recorded its
// evaluation (the ticket's evaluation count reached the events sent for
// it) and, for identity tickets, the fake Jira carries the evidence of
// that verdict — the property with the stored digest, the bridge's label
// and its evidence comment. Done events of tickets with edits left queue
// the next edit.
type tracker struct {
	up      *upstream
	view    *storeView
	updates int
	every   time.Duration

	mu        sync.Mutex
	inflight  map[*ticket]struct{}
	ready     map[*ticket]struct{} // in flight and seen active upstream
	byKey     map[string]*ticket
	sweep     time.Time
	remaining int
	doneCount int
	total     int
	first     time.Time
	last      time.Time
	evidence  []time.Duration
	stages    map[string][]time.Duration
	followups chan *ticket
	allDone   chan struct{}
	halfway   chan struct{}
	viewErrs  int
}

func newTracker(up *upstream, view *storeView, tickets, updates int) *tracker {
	total := tickets * (updates + 1)
	return &tracker{
		up: up, view: view, updates: updates, every: 20 * time.Millisecond,
		inflight: map[*ticket]struct{}{}, ready: map[*ticket]struct{}{}, byKey: map[string]*ticket{}, remaining: total, total: total,
		stages:    map[string][]time.Duration{},
		followups: make(chan *ticket, tickets), allDone: make(chan struct{}), halfway: make(chan struct{}),
	}
}

// sent registers an event whose webhook is about to be posted.
func (tr *tracker) sent(t *ticket, at time.Time) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.first.IsZero() {
		tr.first = at
	}
	t.sent = at.UnixNano()
	tr.inflight[t] = struct{}{}
	tr.byKey[t.key] = t
}

// run checks in-flight events until ctx ends or all are done.
func (tr *tracker) run(ctx context.Context) {
	tick := time.NewTicker(tr.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tr.allDone:
			return
		case <-tick.C:
		}
		tr.check(ctx)
	}
}

type pending struct {
	t   *ticket
	key string
	gen int
}

// check reads the store for the events that can be done: those whose
// ticket the bridge read (non-identity) or wrote (identity) since the
// webhook — the fake tells which, so the observer stays cheap on a machine
// it shares with the bridge. Every few seconds all in-flight events are
// checked, so a path the marks miss (a verdict that writes nothing) cannot
// hang a run.
func (tr *tracker) check(ctx context.Context) {
	now := time.Now()
	active := tr.up.drain()
	tr.mu.Lock()
	for key, m := range active {
		t := tr.byKey[key]
		if t == nil {
			continue
		}
		if _, ok := tr.inflight[t]; ok && (!t.identity || m.lastWrite.After(m.fetch)) {
			tr.ready[t] = struct{}{}
		}
	}
	set := tr.ready
	if now.Sub(tr.sweep) > sweepEvery(len(tr.inflight)) {
		set, tr.sweep = tr.inflight, now
	}
	list := make([]pending, 0, len(set))
	keys := make([]string, 0, len(set))
	for t := range set {
		list = append(list, pending{t, t.key, t.gen})
		keys = append(keys, t.key)
	}
	tr.mu.Unlock()
	if len(list) == 0 {
		return
	}
	rows, err := tr.view.tickets(ctx, keys)
	if err != nil {
		tr.mu.Lock()
		tr.viewErrs++
		tr.mu.Unlock()
		return
	}
	now = time.Now()
	for _, p := range list {
		r, ok := rows[p.key]
		if !ok || r.evaluations < p.gen+1 {
			continue
		}
		if p.t.identity && !evidenceApplied(tr.up.fake, p.key, r) {
			continue
		}
		tr.finish(p.t, now)
	}
}

// evidenceApplied: the fake carries the bridge's evidence for the stored
// verdict. It reads the issue's state, not which calls wrote it, so it
// holds for Cloud's one edit (labels and property in PUT issue/{key}) as
// for Data Center's label edit plus property PUT.
func evidenceApplied(f *jirafake.Fake, key string, r row) bool {
	is, ok := f.Issue(key)
	if !ok {
		return false
	}
	var prop struct {
		Digest  string `json:"digest"`
		Verdict string `json:"verdict"`
	}
	if json.Unmarshal(is.Properties[jira.PropertyKey], &prop) != nil || prop.Digest != r.digest {
		return false
	}
	label := "access-" + strings.ReplaceAll(r.verdict, "_", "-")
	hasLabel := false
	for _, l := range is.Labels {
		hasLabel = hasLabel || l == label
	}
	for _, c := range is.Comments {
		if c.Author == jirafake.BotAccountID && strings.Contains(c.Body, "⟦accessbridge evidence") {
			return hasLabel
		}
	}
	return false
}

// finish records a done event. For identity tickets the moment is the
// bridge's last write to the fake (exact); otherwise the check that saw it.
func (tr *tracker) finish(t *ticket, now time.Time) {
	m := tr.up.marksOf(t.key)
	sent := time.Unix(0, t.sent)
	at := now
	if t.identity && m.lastWrite.After(sent) {
		at = m.lastWrite
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if _, ok := tr.inflight[t]; !ok {
		return
	}
	delete(tr.inflight, t)
	delete(tr.ready, t)
	tr.evidence = append(tr.evidence, at.Sub(sent))
	tr.stage("queue (sent → fetch)", sent, m.fetch)
	if t.identity {
		tr.stage("evaluate+enqueue (fetch → first write)", m.fetch, m.firstWrite)
		tr.stage("apply (first → last write)", m.firstWrite, m.lastWrite)
	}
	if at.After(tr.last) {
		tr.last = at
	}
	tr.remaining--
	tr.doneCount++
	if tr.doneCount == tr.total/2 {
		close(tr.halfway)
	}
	if t.gen < tr.updates {
		t.gen++
		tr.followups <- t // never blocks: one pending edit per ticket at most
	} else {
		t.done = true
		tr.up.forget(t.key)
	}
	if tr.remaining == 0 {
		close(tr.allDone)
	}
}

func (tr *tracker) stage(name string, from, to time.Time) {
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return
	}
	tr.stages[name] = append(tr.stages[name], to.Sub(from))
}

// progress reports done and in-flight events.
func (tr *tracker) progress() (done, inflight int) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.doneCount, len(tr.inflight)
}

// sweepEvery spaces the full sweeps so their cost stays bounded with a
// deep backlog: 2s, plus a second per 2,000 events in flight.
func sweepEvery(inflight int) time.Duration {
	return 2*time.Second + time.Duration(inflight/2000)*time.Second
}
