package scan

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/accessbridge/accessbridge/policy"
)

// Kind names one kind of violation; the names are part of the JSON and CSV
// schema.
type Kind string

const (
	// UnapprovedChange: resolved or in a gated status without the
	// approvals its rule requires (verdict pending, denied or error).
	UnapprovedChange Kind = "unapproved_change"
	// SelfApproval: the requester or the subject approved the ticket.
	SelfApproval Kind = "self_approval"
	// IneligibleRequester: a leaver, a contractor past their end date or a
	// person unknown to the directory asked, and the ticket went through.
	IneligibleRequester Kind = "ineligible_requester"
	// UnentitledApprover: someone the rule does not name approved.
	UnentitledApprover Kind = "unentitled_approver"
	// DeniedCompleted: the verdict is denied yet the ticket was completed.
	DeniedCompleted Kind = "denied_completed"
)

// Kinds lists every kind in report order.
var Kinds = []Kind{UnapprovedChange, DeniedCompleted, SelfApproval, IneligibleRequester, UnentitledApprover}

// Title is the human heading of a kind.
func (k Kind) Title() string {
	switch k {
	case UnapprovedChange:
		return "Completed or in a gated status without the required approvals"
	case DeniedCompleted:
		return "Denied but completed anyway"
	case SelfApproval:
		return "Self-approvals attempted"
	case IneligibleRequester:
		return "Ineligible requesters whose ticket went through"
	case UnentitledApprover:
		return "Approvals by people not entitled to approve"
	}
	return string(k)
}

// Violation is one finding on one ticket.
type Violation struct {
	Kind    Kind           `json:"kind"`
	Key     string         `json:"key"`
	Status  string         `json:"status"`
	Verdict policy.Verdict `json:"verdict"`
	Who     string         `json:"who,omitempty"` // the person the finding is about
	Reason  string         `json:"reason"`
}

// check finds the violations of one evaluated ticket.
type check struct {
	s         *Scanner
	t         policy.Ticket
	d         policy.Decision
	st        ticketState
	at        time.Time         // when the ticket is judged
	approvals []policy.Approval // given by then
	late      []policy.Approval // given afterwards
}

func (c *check) violations() []Violation {
	if !identity(c.d) {
		return nil
	}
	var out []Violation
	out = c.completion(out)
	out = c.selfApprovals(out)
	out = c.requester(out)
	out = c.approvers(out)
	return out
}

func (c *check) add(out []Violation, k Kind, who, format string, args ...any) []Violation {
	return append(out, Violation{
		Kind: k, Key: c.t.Key, Status: c.t.Status, Verdict: c.d.Verdict,
		Who: who, Reason: fmt.Sprintf(format, args...),
	})
}

// completion covers (a) and (e): the ticket moved on without an allowed
// verdict.
func (c *check) completion(out []Violation) []Violation {
	if c.d.Verdict.Allows() || !(c.st.done || c.st.gated) {
		return out
	}
	where := "is in gated status " + quote(c.t.Status)
	if c.st.done {
		where = "was completed (" + quote(c.t.Status) + ")"
	}
	if c.d.Verdict == policy.Denied && c.st.done {
		return c.add(out, DeniedCompleted, "", "%s although denied: %s", where, orNone(c.d.Reasons))
	}
	switch c.d.Verdict {
	case policy.Pending:
		return c.add(out, UnapprovedChange, "", "%s while still waiting on %s%s", where, missingText(c.d.Missing), c.lateText())
	case policy.Denied:
		return c.add(out, UnapprovedChange, "", "%s although denied: %s", where, orNone(c.d.Reasons))
	}
	return c.add(out, UnapprovedChange, "", "%s but the policy could not evaluate it: %s", where, orNone(c.d.Reasons))
}

// lateText notes approvals that came only after the ticket moved on.
func (c *check) lateText() string {
	var by []string
	for _, a := range c.late {
		if !a.Denies() {
			by = append(by, a.By+" at "+a.At.UTC().Format(time.RFC3339))
		}
	}
	if len(by) == 0 {
		return ""
	}
	return "; approved only afterwards by " + strings.Join(by, ", ")
}

// selfApprovals covers (b): an approval by the requester or the subject,
// whether or not the policy counted it.
func (c *check) selfApprovals(out []Violation) []Violation {
	subject := c.subject()
	seen := map[string]bool{}
	for _, a := range c.all() {
		if a.Denies() || seen[strings.ToLower(a.By)] {
			continue
		}
		seen[strings.ToLower(a.By)] = true
		switch {
		case sameEmail(a.By, c.t.Requester):
			out = c.add(out, SelfApproval, a.By, "%s approved their own request%s", a.By, via(a))
		case sameEmail(a.By, subject):
			out = c.add(out, SelfApproval, a.By, "%s approved access for themselves%s", a.By, via(a))
		}
	}
	return out
}

// requester covers (c): who asked could not have been eligible when the
// ticket went through.
func (c *check) requester(out []Violation) []Violation {
	if !(c.d.Verdict == policy.Allowed || c.st.done || c.st.gated) {
		return out
	}
	who := c.t.Requester
	if who == "" {
		return c.add(out, IneligibleRequester, "", "the ticket names no requester")
	}
	p, found, err := c.s.dir.Person(who)
	if err != nil {
		return out // the decision is error; completion reports it
	}
	if !found {
		return c.add(out, IneligibleRequester, who, "requester %s is not in the directory", who)
	}
	if why := ineligible(p, c.at); why != "" {
		return c.add(out, IneligibleRequester, who, "requester %s %s", who, why)
	}
	return out
}

// ineligible says why p could not ask for access at time at, or "".
func ineligible(p policy.Person, at time.Time) string {
	ended := !p.EndDate.IsZero() && !p.EndDate.After(at)
	switch {
	case !p.Active && (p.EndDate.IsZero() || ended):
		if p.EndDate.IsZero() {
			return "is inactive (a leaver)"
		}
		return "is a leaver (left " + day(p.EndDate) + ")"
	case ended && p.EmploymentType == "contractor":
		return "is a contractor whose end date " + day(p.EndDate) + " had passed"
	case ended:
		return "had passed their end date " + day(p.EndDate)
	}
	return ""
}

// approvers covers (d): approvals by someone the applied rule does not name.
// Self-approvals are reported once, as such.
func (c *check) approvers(out []Violation) []Violation {
	rules := c.rules()
	if len(rules) == 0 {
		return out
	}
	subject := c.subject()
	seen := map[string]bool{}
	for _, a := range c.all() {
		if a.Denies() || seen[strings.ToLower(a.By)] || sameEmail(a.By, c.t.Requester) || sameEmail(a.By, subject) {
			continue
		}
		seen[strings.ToLower(a.By)] = true
		if slices.ContainsFunc(rules, func(r policy.ApprovalRule) bool { return c.entitled(a.By, r) }) {
			continue
		}
		out = c.add(out, UnentitledApprover, a.By, "%s approved%s but %s", a.By, via(a), acceptsText(rules))
	}
	return out
}

// rules returns the approval rules the decision applied (Decision.Rule
// joins their names with commas). Break-glass and no-approval rules name no
// approvers: nobody is entitled, but nobody needed to approve either, so
// they are left out.
func (c *check) rules() []policy.ApprovalRule {
	var out []policy.ApprovalRule
	for name := range strings.SplitSeq(c.d.Rule, ",") {
		r, ok := c.s.pol.Rule(strings.TrimSpace(name))
		if ok && !r.BreakGlass && len(r.Require) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// all is every approval on the ticket, late ones included: a self-approval
// is an attempt whenever it was made.
func (c *check) all() []policy.Approval {
	if len(c.late) == 0 {
		return c.approvals
	}
	return append(slices.Clone(c.approvals), c.late...)
}

func (c *check) subject() string {
	for _, s := range []string{c.d.Classification.Entitlement.Subject, c.t.Subject, c.t.Requester} {
		if s != "" {
			return s
		}
	}
	return ""
}

func quote(s string) string { return "\"" + s + "\"" }

func orNone(reasons []string) string {
	if len(reasons) == 0 {
		return "no reason given"
	}
	return strings.Join(reasons, "; ")
}

func via(a policy.Approval) string {
	if a.Channel == "" {
		return ""
	}
	return " (" + a.Channel + ")"
}

func sameEmail(a, b string) bool {
	return a != "" && strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

func day(t time.Time) string { return t.Format(time.DateOnly) }

// missingText renders what a pending ticket waits on:
// "manager (maria@x) 0/1, group:security 0/1".
func missingText(reqs []policy.Requirement) string {
	if len(reqs) == 0 {
		return "approvals"
	}
	parts := make([]string, len(reqs))
	for i, r := range reqs {
		parts[i] = requirementText(r)
	}
	return strings.Join(parts, ", ")
}

func requirementText(r policy.Requirement) string {
	s := r.Name
	if len(r.Candidates) > 0 {
		s += " (" + strings.Join(r.Candidates, ", ") + ")"
	}
	return fmt.Sprintf("%s %d/%d", s, r.Have, r.Count)
}

// acceptsText says whom the rules accept: "rule x accepts manager; group:security".
func acceptsText(rules []policy.ApprovalRule) string {
	parts := make([]string, len(rules))
	for i, r := range rules {
		var from []string
		for _, g := range r.Require {
			from = append(from, strings.Join(g.From, " or "))
		}
		parts[i] = "rule " + r.Name + " accepts only " + strings.Join(from, "; ")
	}
	return strings.Join(parts, " and ")
}
