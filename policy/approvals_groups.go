package policy

import (
	"slices"
	"strconv"
	"strings"
)

// groups holds the approvals against a rule's requirement groups (an AND of
// N-of-M groups). By default one person fills at most one group, so
// "manager AND group:security" needs two people; allow_same_approver lets a
// person count for every group they qualify for (policy-bot's behaviour).
func (st *evalState) groups(r *approvalRule, voters []voter, d *Decision) *Node {
	reasons := make([]string, len(voters))
	var cands []int
	var quals []uint64
	denied := false
	for i := range voters {
		v := &voters[i]
		if reasons[i] = st.refusal(r, v); reasons[i] != "" {
			continue
		}
		bits := st.qualifies(r, v)
		switch {
		case bits == 0 && v.a.Denies():
			reasons[i] = "deny ignored: " + v.email + " is not an eligible approver for this rule"
		case bits == 0:
			reasons[i] = "not counted: " + v.email + " is not an eligible approver (needs " + groupNames(r, ^uint64(0)) + ")"
		case v.a.Denies():
			msg := "denied by " + v.email + " (" + groupNames(r, bits) + ")"
			if v.a.Reason != "" {
				msg += ": " + v.a.Reason
			}
			st.denials = append(st.denials, msg)
			reasons[i], denied = msg, true
		default:
			cands, quals = append(cands, i), append(quals, bits)
		}
	}
	filled := assign(r, cands, quals)
	st.reserveNodes(1 + len(r.groups) + len(voters))
	rn := st.node(r.Name, "approval", Matched, "")
	if rn != nil {
		rn.Children = make([]*Node, 0, len(r.groups)+len(voters))
	}
	satisfied := true
	for gi := range r.groups {
		g := &r.groups[gi]
		have := filled[gi]
		ok := len(have) >= g.Count
		if !ok {
			satisfied = false
			d.Missing = append(d.Missing, Requirement{Name: g.Name, From: g.From, Count: g.Count,
				Have: len(have), Candidates: st.candidates(r, g, have, voters)})
		}
		for _, vi := range have {
			if !slices.Contains(d.Approvers, voters[vi].email) {
				d.Approvers = append(d.Approvers, voters[vi].email)
			}
		}
		if rn != nil {
			rn.Children = append(rn.Children, st.groupNode(g, have, voters, ok))
		}
	}
	if rn == nil {
		return nil
	}
	st.voteNodes(rn, voters, reasons, filled, r)
	switch {
	case denied:
		rn.Result, rn.Reason = Failed, "denied"
	case satisfied:
		rn.Result, rn.Reason = Passed, "all requirements met"
	default:
		rn.Result, rn.Reason = Failed, "waiting for approvals"
	}
	return rn
}

func (st *evalState) groupNode(g *reqGroup, have []int, voters []voter, ok bool) *Node {
	reason := "have " + strconv.Itoa(len(have)) + " of " + strconv.Itoa(g.Count)
	if len(have) > 0 {
		names := make([]string, len(have))
		for i, vi := range have {
			names[i] = voters[vi].email
		}
		reason += ": " + strings.Join(names, ", ")
	}
	res := Failed
	if ok {
		res = Passed
	}
	return st.newNode(Node{Name: g.Name, Kind: "requirement", Result: res, Reason: reason})
}

func (st *evalState) voteNodes(rn *Node, voters []voter, reasons []string, filled [][]int, r *approvalRule) {
	for i := range voters {
		v := &voters[i]
		n := st.newNode(Node{Name: v.email, Kind: "vote", Result: Failed, Reason: reasons[i]})
		if n.Name == "" {
			n.Name = "(unknown approver)"
		}
		if reasons[i] == "" {
			n.Reason = "not needed: the groups it qualifies for are already filled"
			for gi, have := range filled {
				if slices.Contains(have, i) {
					n.Result, n.Reason = Passed, "counted for "+r.groups[gi].Name
					break
				}
			}
		}
		rn.Children = append(rn.Children, n)
	}
}

// groupNames lists the names of the groups in bits.
func groupNames(r *approvalRule, bits uint64) string {
	var names []string
	for gi := range r.groups {
		if bits&(1<<gi) != 0 {
			names = append(names, r.groups[gi].Name)
		}
	}
	return strings.Join(names, ", ")
}

// assign fills the groups with candidate approvals. Distinct mode is a
// bipartite matching (augmenting paths), so the order of approvals cannot
// leave a group empty that a different assignment would have filled.
func assign(r *approvalRule, cands []int, quals []uint64) [][]int {
	filled := make([][]int, len(r.groups))
	if r.AllowSameApprover {
		for ci, vi := range cands {
			for gi := range r.groups {
				if quals[ci]&(1<<gi) != 0 {
					filled[gi] = append(filled[gi], vi)
				}
			}
		}
		return filled
	}
	slot := make([]int, len(cands)) // candidate → group, -1 none
	for i := range slot {
		slot[i] = -1
	}
	var try func(ci int, seen *uint64) bool
	try = func(ci int, seen *uint64) bool {
		for gi := range r.groups {
			bit := uint64(1) << gi
			if quals[ci]&bit == 0 || *seen&bit != 0 {
				continue
			}
			*seen |= bit
			if countIn(slot, gi) < r.groups[gi].Count {
				slot[ci] = gi
				return true
			}
			for other, g := range slot {
				if g == gi && try(other, seen) {
					slot[ci] = gi
					return true
				}
			}
		}
		return false
	}
	for ci := range cands {
		var seen uint64
		try(ci, &seen)
	}
	for ci, gi := range slot {
		if gi >= 0 {
			filled[gi] = append(filled[gi], cands[ci])
		}
	}
	return filled
}

func countIn(slot []int, g int) int {
	n := 0
	for _, x := range slot {
		if x == g {
			n++
		}
	}
	return n
}
