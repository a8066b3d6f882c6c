// Package scan audits a ticket export offline and builds the governance
// report a security team hands an auditor: what identity changes were asked
// for, which verdicts the policy gives them today, and which tickets broke
// the rules (completed without the approvals required, self-approved,
// requested by someone ineligible, approved by someone not entitled, or
// completed although denied).
//
// A Scanner is fed one ticket at a time and keeps only aggregates and the
// findings, so an export of any size streams through it.
package scan

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/policy"
)

// Policy is what the scanner needs from a loaded policy; *policy.Policy
// satisfies it.
type Policy interface {
	Evaluate(t policy.Ticket, dir policy.Directory, approvals []policy.Approval, now time.Time) policy.Decision
	Gated(source, status string) bool
	Rule(name string) (policy.ApprovalRule, bool)
	Resource(name string) (policy.Resource, bool)
	Digest() string
	Mode() string
}

// Scanner evaluates tickets one by one and aggregates the report. It is not
// safe for concurrent use.
type Scanner struct {
	pol      Policy
	dir      policy.Directory
	now      time.Time
	statuses Statuses
	agg      aggregate
}

// Statuses says which status names mean a ticket was completed (the change
// was carried out) or closed without being carried out. Names compare
// case-insensitively.
type Statuses struct {
	Done     []string
	Declined []string
}

// DefaultStatuses are the usual Jira, JSM and ServiceNow names.
var DefaultStatuses = Statuses{
	Done:     []string{"done", "resolved", "closed", "complete", "completed", "fixed", "fulfilled", "closed_complete", "closed complete"},
	Declined: []string{"declined", "rejected", "cancelled", "canceled", "won't do", "wont do", "closed_incomplete", "closed incomplete", "closed_skipped", "withdrawn"},
}

// declinedResolutions mark a "Done"/"Closed" ticket as not carried out.
var declinedResolutions = []string{"won't do", "wont do", "declined", "rejected", "cancelled", "canceled", "duplicate", "cannot reproduce", "won't fix", "incomplete"}

// New returns a Scanner that evaluates tickets as of now.
func New(pol Policy, dir policy.Directory, now time.Time) *Scanner {
	return &Scanner{pol: pol, dir: dir, now: now, statuses: DefaultStatuses, agg: newAggregate()}
}

// WithStatuses replaces the done/declined status names.
func (s *Scanner) WithStatuses(st Statuses) *Scanner {
	s.statuses = st
	return s
}

// Ticket fields the scanner reads besides the policy's: how and when the
// ticket was resolved. The CLI maps Jira's resolution and resolutiondate
// onto them.
const (
	ResolutionField = "resolution" // e.g. "Done", "Won't Do"
	ResolvedField   = "resolved"   // RFC 3339 or Jira's 2006-01-02T15:04:05.000-0700
)

// Add evaluates one ticket, folds it into the report and returns its row.
//
// A ticket that moved on (resolved, or in a gated status) is judged as of
// that moment, not as of now: an approval that was valid when the work was
// done must not read as expired today, and one given only afterwards must
// not make the change look approved. Open tickets are judged as of now.
func (s *Scanner) Add(t policy.Ticket) Row {
	return s.fold(s.evaluate(t))
}

// AddBatch adds tickets in order, evaluating them on up to workers
// goroutines (the policy and the directory must be safe for concurrent
// reads, as *policy.Policy and the directory file are). rows, when not nil,
// receives one Row per ticket and must be as long as ts.
func (s *Scanner) AddBatch(ts []policy.Ticket, rows []Row, workers int) {
	evals := make([]evaluation, len(ts))
	var wg sync.WaitGroup
	var next atomic.Int64
	for range max(1, min(workers, len(ts))) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(ts); i = int(next.Add(1) - 1) {
				evals[i] = s.evaluate(ts[i])
			}
		})
	}
	wg.Wait()
	for i := range evals {
		row := s.fold(evals[i])
		if rows != nil {
			rows[i] = row
		}
	}
}

// evaluation is one ticket's outcome before it is folded into the report;
// computing it touches no Scanner state.
type evaluation struct {
	t       policy.Ticket
	d       policy.Decision
	st      ticketState
	found   []Violation
	refused int
}

func (s *Scanner) evaluate(t policy.Ticket) evaluation {
	st := s.state(t)
	at := s.evalTime(t, st)
	approvals, refused := bridge.ApprovalsFromComments(t)
	approvals, late := splitLate(approvals, at)
	d := s.pol.Evaluate(t, s.dir, approvals, at)
	c := check{s: s, t: t, d: d, st: st, at: at, approvals: approvals, late: late}
	return evaluation{t: t, d: d, st: st, found: c.violations(), refused: len(refused)}
}

func (s *Scanner) fold(e evaluation) Row {
	s.agg.add(s, e.t, e.d, e.st, e.found, e.refused)
	return newRow(e.t, e.d, e.found)
}

// Report returns the report of every ticket added so far.
func (s *Scanner) Report() Report {
	return s.agg.report(s)
}

// ticketState is where a ticket stands in its workflow.
type ticketState struct {
	done     bool // the change was carried out (resolved as done)
	declined bool // closed without carrying it out
	gated    bool // the status needs an allowed verdict
}

func (st ticketState) open() bool { return !st.done && !st.declined }

func (s *Scanner) state(t policy.Ticket) ticketState {
	st := ticketState{gated: t.Status != "" && s.pol.Gated(t.Source, t.Status)}
	switch {
	case hasFold(s.statuses.Declined, t.Status):
		st.declined = true
	case hasFold(s.statuses.Done, t.Status):
		if hasFold(declinedResolutions, t.Fields["resolution"]) {
			st.declined = true
		} else {
			st.done = true
		}
	}
	// a ticket closed without being carried out passed no gate that matters
	st.gated = st.gated && !st.declined
	return st
}

// evalTime is when the ticket is judged: its resolution time when resolved,
// its last update when it sits in a gated status, else now.
func (s *Scanner) evalTime(t policy.Ticket, st ticketState) time.Time {
	at := s.now
	switch {
	case st.done || st.declined:
		if r, ok := parseResolved(t.Fields[ResolvedField]); ok {
			at = r
		} else if !t.Updated.IsZero() {
			at = t.Updated
		}
	case st.gated && !t.Updated.IsZero():
		at = t.Updated
	}
	if at.After(s.now) {
		at = s.now
	}
	return at
}

var resolvedLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999-0700", time.DateOnly}

func parseResolved(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	for _, l := range resolvedLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// splitLate separates approvals given after at: they cannot have allowed
// what happened at at.
func splitLate(approvals []policy.Approval, at time.Time) (kept, late []policy.Approval) {
	kept = approvals[:0:0]
	for _, a := range approvals {
		if !a.At.IsZero() && a.At.After(at) {
			late = append(late, a)
		} else {
			kept = append(kept, a)
		}
	}
	return kept, late
}

func hasFold(list []string, s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// identity reports whether the decision concerns an identity change. A
// ticket the policy could not evaluate counts as one: fail closed.
func identity(d policy.Decision) bool {
	if d.Verdict == policy.NotApplicable {
		return false
	}
	c := d.Classification.Category
	return d.Verdict == policy.Error || (c != policy.CategoryNone && c != "")
}
