package scan

import (
	"strings"

	"github.com/accessbridge/accessbridge/policy"
)

// entitled reports whether email could satisfy any requirement group of
// rule for this ticket. An approver the decision counted is entitled by
// definition; otherwise the rule's approver sources are resolved against the
// directory the same way the policy names them (manager, requester_manager,
// owner, group:NAME, user:EMAIL, owner:RESOURCE).
func (c *check) entitled(email string, rule policy.ApprovalRule) bool {
	for _, a := range c.d.Approvers {
		if sameEmail(a, email) {
			return true
		}
	}
	for _, r := range c.d.Missing {
		for _, cand := range r.Candidates {
			if sameEmail(cand, email) {
				return true
			}
		}
	}
	for _, g := range rule.Require {
		for _, from := range g.From {
			if c.matches(email, strings.TrimSpace(from)) {
				return true
			}
		}
	}
	return false
}

func (c *check) matches(email, from string) bool {
	switch from {
	case "manager":
		p, ok := c.subjectPerson()
		return ok && c.isManagerOf(email, p)
	case "requester_manager":
		p, ok := c.person(c.t.Requester)
		return ok && sameEmail(p.Manager, email)
	case "owner":
		p, ok := c.subjectPerson()
		return ok && sameEmail(p.Owner, email)
	}
	kind, arg, _ := strings.Cut(from, ":")
	arg = strings.TrimSpace(arg)
	switch kind {
	case "group":
		p, ok := c.person(email)
		return ok && p.InGroup(arg)
	case "user":
		return sameEmail(arg, email)
	case "owner":
		res, ok := c.s.pol.Resource(arg)
		if !ok {
			return false
		}
		for _, o := range res.Owners {
			// an owner is an email, or a group:/user: source (never owner:, which could loop)
			if sameEmail(o, email) || (strings.HasPrefix(o, "group:") || strings.HasPrefix(o, "user:")) && c.matches(email, o) {
				return true
			}
		}
	}
	return false
}

// isManagerOf accepts the subject's manager; for a non-human subject, whose
// manager is its owner's, the owner's manager too.
func (c *check) isManagerOf(email string, p policy.Person) bool {
	if sameEmail(p.Manager, email) {
		return true
	}
	if p.NonHuman() && p.Owner != "" {
		o, found := c.person(p.Owner)
		return found && sameEmail(o.Manager, email)
	}
	return false
}

func (c *check) subjectPerson() (policy.Person, bool) { return c.person(c.subject()) }

func (c *check) person(email string) (policy.Person, bool) {
	if email == "" {
		return policy.Person{}, false
	}
	p, found, err := c.s.dir.Person(email)
	return p, found && err == nil
}
