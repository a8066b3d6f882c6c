package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// TestResult is the outcome of one policy test.
type TestResult struct {
	Name     string
	File     string
	Line     int
	Passed   bool
	Diff     []string // what differed, "field: want X, got Y"
	Decision Decision
}

// RunTests evaluates every policy test case against p.
func RunTests(p *Policy) []TestResult {
	out := make([]TestResult, 0, len(p.tests))
	for _, tc := range p.tests {
		d := p.Evaluate(tc.Ticket, NewStaticDirectory(tc.People...), tc.Approvals, tc.Now)
		diff := tc.Expect.diff(d)
		out = append(out, TestResult{Name: tc.Name, File: tc.File, Line: tc.Line, Passed: len(diff) == 0, Diff: diff, Decision: d})
	}
	return out
}

func (e Expectation) diff(d Decision) []string {
	var out []string
	check := func(field, want, got string) {
		if want != "" && want != got {
			out = append(out, fmt.Sprintf("%s: want %q, got %q", field, want, got))
		}
	}
	check("verdict", string(e.Verdict), string(d.Verdict))
	check("category", string(e.Category), string(d.Classification.Category))
	check("impact", e.Impact, d.Classification.Impact.String())
	check("rule", e.Rule, d.Rule)
	check("resource", e.Resource, d.Classification.Entitlement.Resource)
	check("role", e.Role, d.Classification.Entitlement.Role)
	check("subject", e.Subject, d.Classification.Entitlement.Subject)
	if e.CheckMissing {
		got := make([]string, len(d.Missing))
		for i, m := range d.Missing {
			got[i] = m.Name
		}
		want := slices.Clone(e.Missing)
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			out = append(out, fmt.Sprintf("missing: want %v, got %v", want, got))
		}
	}
	all := strings.Join(d.Reasons, "\n")
	for _, s := range e.ReasonsContain {
		if !strings.Contains(all, s) {
			out = append(out, fmt.Sprintf("reasons: want one containing %q, got %q", s, d.Reasons))
		}
	}
	if e.Exception != nil && *e.Exception != (d.Exception != nil) {
		out = append(out, fmt.Sprintf("exception: want %v, got %v", *e.Exception, d.Exception != nil))
	}
	if !e.GrantUntil.IsZero() && !e.GrantUntil.Equal(d.GrantUntil) {
		out = append(out, fmt.Sprintf("grant_until: want %s, got %s", e.GrantUntil.Format(time.RFC3339), fmtTime(d.GrantUntil)))
	}
	if len(out) > 0 && e.Verdict != "" && e.Verdict != d.Verdict && len(d.Reasons) > 0 {
		out = append(out, "reasons were: "+strings.Join(d.Reasons, "; "))
	}
	return out
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.Format(time.RFC3339)
}
