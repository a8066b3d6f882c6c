package policy

import (
	"strconv"
	"strings"
)

// eligibility runs the built-in checks (always on) and the policy's rules.
// A failed check denies; a rule that cannot be evaluated is an error.
func (st *evalState) eligibility(d *Decision) *Node {
	n := 1 + len(st.p.eligibility)
	if st.subj.found && st.subj.p.NonHuman() {
		n += 3
	}
	checks := make([]Check, 0, n)
	checks = append(checks, st.requesterCheck())
	if st.subj.found && st.subj.p.NonHuman() {
		checks = append(checks, st.nhiChecks()...)
	}
	for _, r := range st.p.eligibility {
		if c, ok := st.eligibilityRule(r); ok {
			checks = append(checks, c)
		}
	}
	d.Eligibility = checks
	var node *Node
	if st.explain {
		node = st.newNode(Node{Name: "eligibility", Kind: "eligibility", Result: Passed, Children: make([]*Node, 0, len(checks))})
	}
	for _, c := range checks {
		res := Passed
		if !c.Passed {
			res = Failed
			if !strings.HasPrefix(c.Reason, "error: ") {
				st.denials = append(st.denials, c.Reason)
			}
		}
		if node != nil {
			node.Children = append(node.Children, st.newNode(Node{Name: c.Name, Kind: "eligibility", Result: res, Reason: c.Reason}))
			if !c.Passed {
				node.Result = Failed
			}
		}
	}
	return node
}

func (st *evalState) requesterCheck() Check {
	c := Check{Name: "requester-in-directory", Passed: st.req.found}
	if !c.Passed {
		who := st.requesterEmail
		if who == "" {
			who = "(none)"
		}
		c.Reason = "requester " + who + " is not in the directory"
	}
	return c
}

// nhiChecks: a non-human subject needs an active human owner, a stated
// purpose, and an expiry or a rotation period.
func (st *evalState) nhiChecks() []Check {
	s := &st.subj.p
	name := st.subj.email
	owner := Check{Name: "nhi-owner", Passed: true}
	switch {
	case s.Owner == "":
		owner.Passed, owner.Reason = false, "non-human identity "+name+" has no owner"
	case !st.own.found:
		owner.Passed, owner.Reason = false, "owner "+st.nhiOwner+" of "+name+" is not in the directory"
	case !st.own.p.Active:
		owner.Passed, owner.Reason = false, "owner "+st.nhiOwner+" of "+name+" is not active"
	case st.own.p.NonHuman():
		owner.Passed, owner.Reason = false, "owner "+st.nhiOwner+" of "+name+" is not a human"
	}
	purpose := Check{Name: "nhi-purpose", Passed: strings.TrimSpace(s.Purpose) != ""}
	if !purpose.Passed {
		purpose.Reason = "non-human identity " + name + " has no stated purpose"
	}
	expiry := Check{Name: "nhi-expiry", Passed: !s.Expiry.IsZero() || s.Rotation > 0}
	if !expiry.Passed {
		expiry.Reason = "non-human identity " + name + " has neither an expiry nor a rotation period"
	}
	return []Check{owner, purpose, expiry}
}

// eligibilityRule evaluates one policy rule; ok is false when its if does
// not hold (the rule does not apply and is not listed).
func (st *evalState) eligibilityRule(r *eligibilityRule) (Check, bool) {
	c := Check{Name: r.name}
	if r.cond != nil {
		applies, err := r.cond.eval(st)
		if err != nil {
			st.fail("eligibility rule " + strconv.Quote(r.name) + ": if: " + err.Error())
			c.Reason = "error: " + err.Error()
			return c, true
		}
		if !applies {
			return c, false
		}
	}
	ok, err := r.require.eval(st)
	switch {
	case err != nil:
		st.fail("eligibility rule " + strconv.Quote(r.name) + ": " + err.Error())
		c.Reason = "error: " + err.Error()
	case ok:
		c.Passed = true
	case r.message != "":
		c.Reason = r.message
	default:
		c.Reason = r.name + " failed: " + r.require.src
	}
	return c, true
}
