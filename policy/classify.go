package policy

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// classify extracts the entitlement, then runs every classify rule: all
// matches are recorded, the highest impact wins and gives the category.
func (st *evalState) classify() (clsNode, entNode *Node) {
	entNode = st.extract()
	var children []*Node
	if st.explain {
		clsNode = st.newNode(Node{Name: "classification", Kind: "classify"})
		children = make([]*Node, 0, len(st.p.classify))
	}
	best := -1
	for i, r := range st.p.classify {
		ok, err := r.when.eval(st)
		var n *Node
		switch {
		case err != nil:
			st.fail("classify rule " + strconv.Quote(r.name) + ": " + err.Error())
			n = st.node(r.name, "classify", Failed, "error: "+err.Error())
		case !ok:
			n = st.node(r.name, "classify", Skipped, "when is false")
		default:
			if st.cls.Matched == nil {
				st.cls.Matched = make([]string, 0, min(4, len(st.p.classify)-i))
			}
			st.cls.Matched = append(st.cls.Matched, r.name)
			if best < 0 || r.impact > st.p.classify[best].impact {
				best = i
			}
			if st.explain {
				n = st.newNode(Node{Name: r.name, Kind: "classify", Result: Matched,
					Reason: r.label, Values: st.values(r.when)})
			}
		}
		if n != nil {
			children = append(children, n)
		}
	}
	st.cls.Category, st.cls.Impact = CategoryNone, ImpactNone
	if best >= 0 {
		st.cls.Category, st.cls.Impact = st.p.classify[best].category, st.p.classify[best].impact
	}
	st.cv.reset(classDesc, &st.csrc)
	if clsNode != nil {
		clsNode.Children = children
		clsNode.Result, clsNode.Reason = Skipped, "no classify rule matched: not an identity change"
		if best >= 0 {
			clsNode.Result = Matched
			clsNode.Reason = string(st.cls.Category) + "/" + st.cls.Impact.String() + " (highest impact: " + st.p.classify[best].name + ")"
		}
	}
	return clsNode, entNode
}

func (st *evalState) node(name, kind string, res Result, reason string) *Node {
	if !st.explain {
		return nil
	}
	return st.newNode(Node{Name: name, Kind: kind, Result: res, Reason: reason})
}

// values shows what an expression read: the text its first matches() or
// mentions() call (in source order) that finds something found, and the
// short fields it selected.
func (st *evalState) values(e *expr) map[string]string {
	if len(e.matchers) == 0 && len(e.refs) == 0 {
		return nil
	}
	out := make(map[string]string, e.shown)
	for _, m := range e.matchers {
		if s, ok := st.matchText(m); ok {
			out["matched"] = strconv.Quote(clip(s, 80))
			break
		}
	}
	for _, r := range e.refs {
		if r.name == "ticket" && (r.field == "text" || r.field == "description") {
			continue
		}
		if o := st.object(r.name); o != nil {
			if v, ok := o.at(r.idx); ok {
				out[r.key] = render(v)
			} else {
				out[r.key] = "(absent)"
			}
		}
	}
	return out
}

// matchText returns the text a matcher finds in its ticket field: the
// leftmost match.
func (st *evalState) matchText(m textMatch) (string, bool) {
	v, ok := st.tv.at(m.field)
	s, isStr := v.(types.String)
	if !ok || !isStr {
		return "", false
	}
	var start, end int
	tv := st.view(string(s))
	if m.set != nil {
		start, end, ok = m.set.find(tv)
	} else {
		start, end, ok = m.re.findIn(tv.s, tv.starts)
	}
	return string(s)[start:end], ok
}

func (st *evalState) object(name string) *obj {
	switch name {
	case "ticket":
		return &st.tv
	case "classification":
		return &st.cv
	case "requester":
		return &st.rv
	case "subject":
		return &st.sv
	case "owner":
		return &st.ov
	}
	return nil
}

// render formats a CEL value for an explanation.
func render(v ref.Val) string {
	switch x := v.(type) {
	case types.String:
		return clip(string(x), 80)
	case types.Bool:
		return strconv.FormatBool(bool(x))
	case types.Int:
		return strconv.FormatInt(int64(x), 10)
	case types.Duration:
		return formatDuration(x.Duration)
	case types.Timestamp:
		return x.Time.Format("2006-01-02T15:04:05Z07:00")
	case traits.Lister:
		var parts []string
		it := x.Iterator()
		for it.HasNext() == types.True {
			parts = append(parts, render(it.Next()))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case traits.Mapper:
		return "{" + strconv.Itoa(int(x.Size().(types.Int))) + " entries}"
	}
	return clip(fmt.Sprint(v.Value()), 80)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
