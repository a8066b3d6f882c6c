package scan

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/accessbridge/accessbridge/policy"
)

// Category order of the report; categories a policy invents come after.
var categoryOrder = []policy.Category{policy.AccessGrant, policy.AccessRevoke, policy.PrivilegedAccess, policy.CredentialReset, policy.NHILifecycle}

var verdictOrder = []policy.Verdict{policy.Allowed, policy.Pending, policy.Denied, policy.Error, policy.NotApplicable}

const nImpacts = int(policy.ImpactCritical) + 1

// aggregate holds the figures and findings; nothing per ticket beyond them.
type aggregate struct {
	totals     Totals
	categories map[policy.Category]*[nImpacts]int
	verdicts   map[policy.Verdict]int
	byKind     map[Kind]int
	violations []Violation
	waiting    []Waiting
	exceptions []ExceptionEntry
}

func newAggregate() aggregate {
	return aggregate{
		categories: map[policy.Category]*[nImpacts]int{},
		verdicts:   map[policy.Verdict]int{},
		byKind:     map[Kind]int{},
	}
}

func (a *aggregate) add(s *Scanner, t policy.Ticket, d policy.Decision, st ticketState, found []Violation, refused int) {
	a.totals.Tickets++
	a.verdicts[d.Verdict]++
	a.totals.RefusedComments += refused
	if !identity(d) {
		a.totals.NotIdentity++
		return
	}
	a.totals.Identity++
	a.countCategory(d.Classification)
	switch {
	case st.done:
		a.totals.Completed++
	case st.declined:
		a.totals.Declined++
	default:
		a.totals.Open++
	}
	if len(found) > 0 {
		a.totals.TicketsWithViolations++
		a.totals.Violations += len(found)
		for _, v := range found {
			a.byKind[v.Kind]++
		}
		a.violations = append(a.violations, found...)
	}
	if d.Verdict == policy.Pending && st.open() {
		a.waiting = append(a.waiting, waitingEntry(s, t, d))
	}
	if d.Exception != nil {
		e := ExceptionEntry{
			Key: t.Key, Status: t.Status, Rule: d.Exception.Rule, Requester: t.Requester,
			ReviewDue: d.Exception.ReviewDue, Overdue: !d.Exception.ReviewDue.IsZero() && d.Exception.ReviewDue.Before(s.now),
		}
		a.exceptions = append(a.exceptions, e)
	}
}

func (a *aggregate) countCategory(c policy.Classification) {
	cat := c.Category
	if cat == "" {
		cat = policy.CategoryNone
	}
	row := a.categories[cat]
	if row == nil {
		row = new([nImpacts]int)
		a.categories[cat] = row
	}
	imp := min(max(int(c.Impact), 0), nImpacts-1)
	row[imp]++
}

func waitingEntry(s *Scanner, t policy.Ticket, d policy.Decision) Waiting {
	w := Waiting{
		Key: t.Key, Status: t.Status, Category: d.Classification.Category, Impact: d.Classification.Impact,
		Rule: d.Rule, Requester: t.Requester, Created: t.Created, WaitingOn: d.Missing,
	}
	if !t.Created.IsZero() && s.now.After(t.Created) {
		w.AgeHours = int(s.now.Sub(t.Created).Hours())
	}
	return w
}

func (a *aggregate) report(s *Scanner) Report {
	r := Report{
		Schema: Schema, AsOf: s.now, PolicyDigest: s.pol.Digest(), PolicyMode: s.pol.Mode(),
		Totals:     a.totals,
		Violations: slices.Clone(a.violations),
		Waiting:    slices.Clone(a.waiting),
		Exceptions: slices.Clone(a.exceptions),
	}
	r.Totals.Waiting = len(a.waiting)
	r.Totals.Exceptions = len(a.exceptions)
	for _, e := range a.exceptions {
		if e.Overdue {
			r.Totals.ExceptionsOverdue++
		}
	}
	r.Categories = a.categoryCounts()
	for _, v := range verdictOrder {
		r.Verdicts = append(r.Verdicts, Count{Name: string(v), Count: a.verdicts[v]})
	}
	for _, k := range Kinds {
		r.ByKind = append(r.ByKind, Count{Name: string(k), Count: a.byKind[k]})
	}
	sortReport(&r)
	return r
}

func (a *aggregate) categoryCounts() []CategoryCount {
	cats := slices.Clone(categoryOrder)
	var extra []policy.Category
	for c := range a.categories {
		if !slices.Contains(cats, c) {
			extra = append(extra, c)
		}
	}
	slices.Sort(extra)
	cats = append(cats, extra...)
	out := make([]CategoryCount, 0, len(cats))
	for _, c := range cats {
		cc := CategoryCount{Category: c}
		row := a.categories[c]
		for i := range nImpacts {
			n := 0
			if row != nil {
				n = row[i]
			}
			cc.Total += n
			cc.ByImpact = append(cc.ByImpact, Count{Name: policy.Impact(i).String(), Count: n})
		}
		out = append(out, cc)
	}
	return out
}

func sortReport(r *Report) {
	kindRank := func(k Kind) int { return slices.Index(Kinds, k) }
	slices.SortStableFunc(r.Violations, func(x, y Violation) int {
		return cmp.Or(cmp.Compare(kindRank(x.Kind), kindRank(y.Kind)), compareKeys(x.Key, y.Key))
	})
	slices.SortStableFunc(r.Waiting, func(x, y Waiting) int {
		return cmp.Or(-cmp.Compare(x.AgeHours, y.AgeHours), compareKeys(x.Key, y.Key))
	})
	slices.SortStableFunc(r.Exceptions, func(x, y ExceptionEntry) int {
		return cmp.Or(x.ReviewDue.Compare(y.ReviewDue), compareKeys(x.Key, y.Key))
	})
}

// compareKeys orders "IT-9" before "IT-10": project, then number.
func compareKeys(a, b string) int {
	pa, na, oka := splitKey(a)
	pb, nb, okb := splitKey(b)
	if oka && okb {
		return cmp.Or(strings.Compare(pa, pb), cmp.Compare(na, nb))
	}
	return strings.Compare(a, b)
}

func splitKey(k string) (string, int, bool) {
	i := strings.LastIndexByte(k, '-')
	if i < 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(k[i+1:])
	return k[:i], n, err == nil
}
