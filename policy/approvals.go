package policy

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// voter is one approval as the rules see it, with what is known about the
// person who gave it. Facts that do not depend on the rule are computed once.
type voter struct {
	a           *Approval
	email       string
	active      bool     // in the directory and active
	groups      []string // directory groups
	found       bool
	superseded  bool   // a later decision by the same person replaces it
	invalidated bool   // given for a different version of the request
	self        string // "requester" or "subject" when the approver is one of them
}

// approvals evaluates every approval rule against the approvals given. All
// applicable rules must be satisfied; a rule applies when its if holds.
func (st *evalState) approvals(dir Directory, given []Approval, d *Decision) *Node {
	voters, err := st.voters(dir, given, d)
	var n *Node
	if st.explain {
		n = st.newNode(Node{Name: "approvals", Kind: "approval", Result: Skipped, Children: make([]*Node, 0, len(st.p.approvals))})
	}
	if err != nil {
		st.fail("directory: " + err.Error())
		if n != nil {
			n.Result, n.Reason = Failed, err.Error()
		}
		return n
	}
	for _, r := range st.p.approvals {
		rn := st.approvalRule(r, voters, d)
		if n != nil && rn != nil {
			n.Children = append(n.Children, rn)
		}
	}
	st.summarizeRules(d, n)
	return n
}

// voters dedupes approvals per person (the latest counts), marks those given
// for another version of the request and looks each approver up once.
func (st *evalState) voters(dir Directory, given []Approval, d *Decision) ([]voter, error) {
	if len(given) == 0 {
		return nil, nil
	}
	digest := "" // computed only when an approval carries one
	out := make([]voter, len(given))
	for i := range given {
		a := &given[i]
		v := voter{a: a, email: normEmail(a.By)}
		if a.Digest != "" && digest == "" {
			digest = st.cls.Entitlement.Digest()
		}
		if a.Digest != "" && a.Digest != digest {
			v.invalidated = true
			d.Invalidated = append(d.Invalidated, *a)
		}
		switch v.email {
		case st.requesterEmail:
			v.self = "requester"
		case st.cls.Entitlement.Subject:
			v.self = "subject"
		}
		for j := range i {
			if out[j].email == v.email && !out[j].superseded {
				if given[j].At.After(a.At) {
					v.superseded = true
				} else {
					out[j].superseded = true
				}
			}
		}
		if j := slices.IndexFunc(out[:i], func(o voter) bool { return o.email == v.email }); j >= 0 {
			v.active, v.groups, v.found = out[j].active, out[j].groups, out[j].found
		} else if v.email != "" {
			p, found, err := dir.Person(v.email)
			if err != nil {
				return nil, err
			}
			v.active, v.groups, v.found = p.Active, p.Groups, found
		}
		out[i] = v
	}
	return out, nil
}

// approvalRule evaluates one rule: whether it applies (and whether a
// mandatory rule had to), then its requirement groups.
func (st *evalState) approvalRule(r *approvalRule, voters []voter, d *Decision) *Node {
	applies := true
	if r.cond != nil {
		var err error
		if applies, err = r.cond.eval(st); err != nil {
			st.fail("approval rule " + strconv.Quote(r.Name) + ": if: " + err.Error())
			st.mandatoryUncovered(r)
			return st.node(r.Name, "approval", Failed, "error: "+err.Error())
		}
	}
	if !applies {
		if st.mandatoryUncovered(r) {
			return st.node(r.Name, "approval", Failed, "mandatory rule does not apply to a ticket in its scope ("+r.Scope+")")
		}
		return st.node(r.Name, "approval", Skipped, "if is false")
	}
	st.applied = append(st.applied, r)
	switch {
	case r.BreakGlass:
		if st.breakRule == nil {
			st.breakRule = r
			d.Exception = &Exception{Rule: r.Name, ReviewDue: st.now.Add(r.ReviewWithin)}
		}
		return st.node(r.Name, "approval", Matched, "break-glass: allowed at once, review due within "+formatDuration(r.ReviewWithin))
	case len(r.groups) == 0:
		reason := "no approval required"
		if r.SLA > 0 {
			reason += "; SLA " + formatDuration(r.SLA)
		}
		return st.node(r.Name, "approval", Matched, reason)
	}
	return st.groups(r, voters, d)
}

// mandatoryUncovered records an error when a mandatory rule's scope selects
// this ticket but the rule does not apply.
func (st *evalState) mandatoryUncovered(r *approvalRule) bool {
	if !r.Mandatory || r.scope == nil {
		return false
	}
	inScope, err := r.scope.eval(st)
	if err != nil {
		st.fail("mandatory rule " + strconv.Quote(r.Name) + ": scope: " + err.Error())
		return true
	}
	if inScope {
		st.fail("mandatory rule " + strconv.Quote(r.Name) + " does not apply to a ticket in its scope (" + r.Scope + ")")
	}
	return inScope
}

// summarizeRules fails closed when no rule covers an identity ticket and
// reports the applied rules and channels.
func (st *evalState) summarizeRules(d *Decision, n *Node) {
	if len(st.applied) == 0 {
		st.fail("no approval rule covers this " + string(st.cls.Category) + "/" + st.cls.Impact.String() + " ticket")
		if n != nil {
			n.Result, n.Reason = Failed, "no approval rule applies"
		}
		return
	}
	names := make([]string, len(st.applied))
	anyChannel := false
	var channels []string
	for i, r := range st.applied {
		names[i] = r.Name
		if len(r.groups) == 0 {
			continue
		}
		if len(r.Channels) == 0 {
			anyChannel = true
		}
		for _, c := range r.Channels {
			if !slices.Contains(channels, c) {
				channels = append(channels, c)
			}
		}
	}
	d.Rule = strings.Join(names, ",")
	if !anyChannel {
		slices.Sort(channels)
		d.Channels = channels
	}
	if n != nil {
		n.Result, n.Reason = Matched, "applied: "+strings.Join(names, ", ")
	}
}

// refusal says why a vote does not count for rule r, or "" when it may.
func (st *evalState) refusal(r *approvalRule, v *voter) string {
	a := v.a
	switch {
	case v.email == "":
		return "refused: approval has no verified approver"
	case v.superseded:
		return "duplicate: superseded by a later decision from " + v.email
	case v.invalidated:
		return "invalidated: given for an earlier version of the request (edited after approval)"
	case len(r.Channels) > 0 && !slices.Contains(r.Channels, channelOf(a)):
		return "refused: came through " + channelOf(a) + ", this rule accepts " + strings.Join(r.Channels, ", ")
	case v.self != "" && !r.SelfApproval:
		return "refused: " + v.email + " is the " + v.self + "; self-approval is not allowed"
	case v.found && !v.active:
		return "refused: " + v.email + " is not active in the directory"
	case a.Denies() || r.ApprovalValidFor <= 0:
		return ""
	case a.At.IsZero():
		return "refused: approval has no time, so approval_valid_for cannot be checked"
	case st.now.Sub(a.At) > r.ApprovalValidFor:
		return "expired: given " + a.At.UTC().Format(time.RFC3339) + ", valid for " + formatDuration(r.ApprovalValidFor)
	}
	return ""
}

// channelOf maps an approval's channel onto the policy's two channels.
func channelOf(a *Approval) string {
	if strings.EqualFold(a.Channel, ChannelSlack) {
		return ChannelSlack
	}
	return ChannelTicket
}

// qualifies returns the bit set of groups of r that v can fill.
func (st *evalState) qualifies(r *approvalRule, v *voter) uint64 {
	var bits uint64
	for gi := range r.groups {
		for _, s := range r.groups[gi].sources {
			if st.matchSource(s, v) {
				bits |= 1 << gi
				break
			}
		}
	}
	return bits
}

func (st *evalState) matchSource(s source, v *voter) bool {
	switch s.kind {
	case srcManager:
		return st.subjManager != "" && v.email == st.subjManager
	case srcRequesterManager:
		m := normEmail(st.req.p.Manager)
		return m != "" && v.email == m
	case srcOwner:
		return st.nhiOwner != "" && v.email == st.nhiOwner
	case srcGroup:
		return v.found && slices.Contains(v.groups, s.arg)
	case srcUser:
		return v.email == s.arg
	case srcResourceOwner:
		if i, ok := st.p.resByName[strings.ToLower(s.arg)]; ok {
			return slices.Contains(st.p.resources[i].Owners, v.email)
		}
	}
	return false
}

// candidates names who could fill a group, where the policy can say.
func (st *evalState) candidates(r *approvalRule, g *reqGroup, have []int, voters []voter) []string {
	var out []string
	add := func(e string) {
		e = normEmail(e)
		if e == "" || slices.Contains(out, e) {
			return
		}
		if !r.SelfApproval && (e == st.requesterEmail || e == st.cls.Entitlement.Subject) {
			return
		}
		for _, vi := range have {
			if voters[vi].email == e {
				return
			}
		}
		out = append(out, e)
	}
	for _, s := range g.sources {
		switch s.kind {
		case srcManager:
			add(st.subjManager)
		case srcRequesterManager:
			add(st.req.p.Manager)
		case srcOwner:
			add(st.nhiOwner)
		case srcUser:
			add(s.arg)
		case srcResourceOwner:
			if i, ok := st.p.resByName[strings.ToLower(s.arg)]; ok {
				for _, o := range st.p.resources[i].Owners {
					add(o)
				}
			}
		}
	}
	return out
}
