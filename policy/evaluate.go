package policy

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
)

// Evaluate decides one ticket: classification, eligibility against the
// directory, then the approval rules. It never panics and fails closed: a
// CEL runtime error, a directory error, a mandatory rule that does not
// apply, or an identity ticket no approval rule covers gives verdict error.
func (p *Policy) Evaluate(t Ticket, dir Directory, approvals []Approval, now time.Time) Decision {
	st := newState(p, &t, now, true)
	defer st.release()
	d := Decision{PolicyDigest: p.digest}
	root := st.newNode(Node{Name: "decision", Kind: "decision"})
	clsNode, entNode := st.classify()
	d.Classification = st.cls
	root.Children = append(make([]*Node, 0, 6), clsNode, entNode)
	d.Explanation = root
	if st.cls.Category == CategoryNone {
		if len(st.errs) == 0 {
			d.Verdict = NotApplicable
			root.Result, root.Reason = Passed, "not an identity change: no approval needed"
			return d
		}
		return st.finish(&d)
	}
	st.reserveNodes(st.p.nodeHint[1] + 4 + 2*len(approvals)) // + typical requirement and vote nodes
	if err := st.lookupPeople(dir); err != nil {
		st.fail("directory: " + err.Error())
		root.Children = append(root.Children, st.newNode(Node{Name: "directory", Kind: "eligibility", Result: Failed, Reason: err.Error()}))
		return st.finish(&d)
	}
	root.Children = append(root.Children, st.eligibility(&d))
	root.Children = append(root.Children, st.approvals(dir, approvals, &d))
	if n := st.grantWindow(&d); n != nil {
		root.Children = append(root.Children, n)
	}
	return st.finish(&d)
}

// Classify returns a ticket's classification without directory data.
// Classify rules that fail to evaluate are treated as not matching here;
// Evaluate reports them as errors.
func (p *Policy) Classify(t Ticket) Classification {
	st := newState(p, &t, time.Now(), false)
	defer st.release()
	st.classify()
	return st.cls
}

// evalState is everything one evaluation computes; it is also the CEL
// activation, resolving variables to lazily computed objects. One
// allocation holds it all, recycled through statePool: nothing a Decision
// holds points into it.
type evalState struct {
	p       *Policy
	ticket  Ticket
	now     time.Time
	explain bool

	text           string
	requesterEmail string
	cls            Classification
	resIdx         int // catalog index of the resource, -1 when unknown
	knownRole      bool

	req, subj, own personSource
	tsrc           ticketSource
	csrc           classSource
	tv, rv, sv, ov obj
	cv             obj
	nowVal         ref.Val
	views          [2]textView // texts split into words for mentions(), by first use
	nviews         int
	tokBuf         []token // kept across uses of the state, for the first view
	startBuf       []int32
	slab           []Node // explanation nodes, allocated in chunks

	subjManager string // who "manager" resolves to
	nhiOwner    string // who "owner" resolves to

	errs      []string // fail-closed reasons
	denials   []string // eligibility failures and approver denials
	breakRule *approvalRule
	applied   []*approvalRule
}

var statePool = sync.Pool{New: func() any { return new(evalState) }}

func newState(p *Policy, t *Ticket, now time.Time, explain bool) *evalState {
	st := statePool.Get().(*evalState)
	*st = evalState{p: p, ticket: *t, now: now, explain: explain, resIdx: -1, tokBuf: st.tokBuf[:0], startBuf: st.startBuf[:0]}
	st.text = t.Summary + "\n" + t.Description
	st.requesterEmail = normEmail(t.Requester)
	st.tsrc.st = st
	st.csrc.c = &st.cls
	st.tv.reset(ticketDesc, &st.tsrc)
	st.cv.reset(classDesc, &st.csrc)
	st.rv.reset(personDesc, &st.req)
	st.sv.reset(personDesc, &st.subj)
	st.ov.reset(personDesc, &st.own)
	st.req.email = st.requesterEmail
	return st
}

// release returns the state to the pool; the state must not be used after.
func (st *evalState) release() {
	if cap(st.tokBuf) > 1024 || cap(st.startBuf) > 1024 {
		st.tokBuf, st.startBuf = nil, nil // do not keep a huge ticket's buffers
	}
	statePool.Put(st)
}

// newNode allocates explanation nodes from chunks: the first sized for
// the policy, more as reserveNodes asks, instead of one allocation a node.
func (st *evalState) newNode(n Node) *Node {
	if len(st.slab) == cap(st.slab) {
		size := 8
		if st.slab == nil {
			size = st.p.nodeHint[0]
		}
		st.slab = slices.Grow([]Node(nil), size) // capacity up to the allocation's size class
	}
	st.slab = append(st.slab, n)
	return &st.slab[len(st.slab)-1]
}

// reserveNodes makes room for n more nodes in one chunk.
func (st *evalState) reserveNodes(n int) {
	if st.explain && cap(st.slab)-len(st.slab) < n {
		st.slab = slices.Grow([]Node(nil), max(n, 8))
	}
}

// view returns s split into words, computed once per evaluation.
func (st *evalState) view(s string) *textView {
	for i := range st.nviews {
		if st.views[i].s == s {
			return &st.views[i]
		}
	}
	if st.nviews == len(st.views) {
		v := st.p.words.view(s)
		v.starts = wordStarts(s, nil)
		return &v
	}
	v := &st.views[st.nviews]
	st.nviews++
	if st.nviews == 1 {
		*v = st.p.words.viewInto(s, st.tokBuf[:0])
		v.starts = wordStarts(s, st.startBuf[:0])
		st.tokBuf, st.startBuf = v.toks, v.starts
	} else {
		*v = st.p.words.view(s)
		v.starts = wordStarts(s, nil)
	}
	return v
}

// ResolveName implements interpreter.Activation.
func (st *evalState) ResolveName(name string) (any, bool) {
	switch name {
	case "ticket":
		return &st.tv, true
	case "classification":
		return &st.cv, true
	case "requester":
		return &st.rv, true
	case "subject":
		return &st.sv, true
	case "owner":
		return &st.ov, true
	case "now":
		if st.nowVal == nil {
			st.nowVal = types.Timestamp{Time: st.now}
		}
		return st.nowVal, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (st *evalState) Parent() interpreter.Activation { return nil }

func (st *evalState) fail(reason string) { st.errs = append(st.errs, reason) }

// lookupPeople resolves requester, subject and (for a non-human subject)
// its owner. Any directory error fails the evaluation closed.
func (st *evalState) lookupPeople(dir Directory) error {
	if dir == nil {
		return fmt.Errorf("no directory configured")
	}
	if err := lookup(dir, st.requesterEmail, &st.req); err != nil {
		return err
	}
	subject := st.cls.Entitlement.Subject
	if subject == st.requesterEmail {
		st.subj = st.req
	} else if err := lookup(dir, subject, &st.subj); err != nil {
		return err
	}
	if st.subj.found && st.subj.p.NonHuman() {
		st.nhiOwner = normEmail(st.subj.p.Owner)
		if err := lookup(dir, st.nhiOwner, &st.own); err != nil {
			return err
		}
		st.subjManager = normEmail(st.own.p.Manager)
	} else {
		st.subjManager = normEmail(st.subj.p.Manager)
	}
	// Objects may have cached "not found" values from classification.
	st.rv.reset(personDesc, &st.req)
	st.sv.reset(personDesc, &st.subj)
	st.ov.reset(personDesc, &st.own)
	return nil
}

func lookup(dir Directory, email string, ps *personSource) error {
	*ps = personSource{email: email}
	if email == "" {
		return nil
	}
	p, found, err := dir.Person(email)
	if err != nil {
		return fmt.Errorf("looking up %s: %w", email, err)
	}
	ps.p, ps.found = p, found
	return nil
}

// finish sets the verdict from what the stages recorded: error beats
// denied beats break-glass beats pending beats allowed.
func (st *evalState) finish(d *Decision) Decision {
	root := d.Explanation
	switch {
	case len(st.errs) > 0:
		d.Verdict, d.Reasons = Error, st.errs
		d.Missing, d.Exception, d.GrantUntil = nil, nil, time.Time{}
	case len(st.denials) > 0:
		d.Verdict, d.Reasons = Denied, st.denials
		d.Missing, d.Exception, d.GrantUntil = nil, nil, time.Time{}
	case st.breakRule != nil:
		d.Verdict, d.Missing = Allowed, nil
	case len(d.Missing) > 0:
		d.Verdict = Pending
		d.GrantUntil = time.Time{}
	default:
		d.Verdict = Allowed
	}
	root.Result, root.Reason = Failed, summary(d)
	if d.Verdict.Allows() {
		root.Result = Passed
	}
	return *d
}

func summary(d *Decision) string {
	switch d.Verdict {
	case Error, Denied:
		return string(d.Verdict) + ": " + strings.Join(d.Reasons, "; ")
	case Pending:
		names := make([]string, len(d.Missing))
		for i, m := range d.Missing {
			names[i] = m.Name
		}
		return "pending: waiting for " + strings.Join(names, ", ")
	}
	if d.Exception != nil {
		return "allowed by break-glass rule " + d.Exception.Rule + ", review due " + d.Exception.ReviewDue.Format(time.RFC3339)
	}
	return string(d.Verdict)
}

func normEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
