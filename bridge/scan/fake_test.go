package scan

import (
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/accessbridge/accessbridge/policy"
)

// fakePolicy decides from ticket fields, so scanner tests pin the report's
// logic without depending on the policy engine: Fields["verdict"],
// ["category"], ["impact"], ["rule"], ["missing"] (requirement names, ";"),
// ["exception"] (break-glass rule name).
type fakePolicy struct {
	gated []string
	rules map[string]policy.ApprovalRule
	res   map[string]policy.Resource
	mu    sync.Mutex
	seen  []int       // len(approvals) per Evaluate call
	nows  []time.Time // now per Evaluate call
}

func (f *fakePolicy) Evaluate(t policy.Ticket, dir policy.Directory, approvals []policy.Approval, now time.Time) policy.Decision {
	f.mu.Lock()
	f.seen = append(f.seen, len(approvals))
	f.nows = append(f.nows, now)
	f.mu.Unlock()
	d := policy.Decision{
		Verdict: policy.Verdict(t.Fields["verdict"]), Rule: t.Fields["rule"], PolicyDigest: "sha256:fake",
		Classification: policy.Classification{Category: policy.Category(t.Fields["category"])},
	}
	if d.Verdict == "" {
		d.Verdict = policy.NotApplicable
	}
	if d.Classification.Category == "" {
		d.Classification.Category = policy.CategoryNone
	}
	d.Classification.Impact, _ = policy.ParseImpact(t.Fields["impact"])
	d.Classification.Entitlement.Subject = t.Subject
	for _, m := range strings.Split(t.Fields["missing"], ";") {
		if m != "" {
			d.Missing = append(d.Missing, policy.Requirement{Name: m, From: []string{m}, Count: 1})
		}
	}
	if r := t.Fields["exception"]; r != "" {
		d.Exception = &policy.Exception{Rule: r, ReviewDue: t.Updated.Add(24 * time.Hour)}
	}
	if d.Verdict == policy.Denied {
		d.Reasons = []string{"denied by test"}
	}
	return d
}

func (f *fakePolicy) Gated(source, status string) bool {
	for _, g := range f.gated {
		if strings.EqualFold(g, status) {
			return true
		}
	}
	return false
}

func (f *fakePolicy) Rule(name string) (policy.ApprovalRule, bool) {
	r, ok := f.rules[name]
	return r, ok
}

func (f *fakePolicy) Resource(name string) (policy.Resource, bool) {
	r, ok := f.res[name]
	return r, ok
}

func (f *fakePolicy) Digest() string { return "sha256:fake" }
func (f *fakePolicy) Mode() string   { return policy.ModeEnforce }

// mapDir is an in-memory directory.
type mapDir map[string]policy.Person

func (m mapDir) Person(email string) (policy.Person, bool, error) {
	if email == "broken@example.com" {
		return policy.Person{}, false, errors.New("directory down")
	}
	p, ok := m[strings.ToLower(email)]
	return p, ok, nil
}

func people(ps ...policy.Person) mapDir {
	m := mapDir{}
	for _, p := range ps {
		m[p.Email] = p
	}
	return m
}
