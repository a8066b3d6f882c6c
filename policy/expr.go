package policy

import (
	"fmt"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
)

// expr is one compiled CEL condition with what it reads, so explanations can
// show the values a rule used without re-running it.
type expr struct {
	src      string
	prg      cel.Program
	refs     []fieldRef  // variable.field selections, in source order
	matchers []textMatch // constant regexes and mentions() lists applied to ticket text
	shown    int         // most values an explanation shows (refs and "matched")
}

type fieldRef struct {
	name, field string
	key         string // "name.field"
	idx         int    // field index in the variable's object type, -1 unknown
}

// textMatch is one matches() or mentions() call on a ticket field with a
// constant argument, re-run to show what matched.
type textMatch struct {
	field int         // ticket field index; tfText for ticket.mentions()
	re    *litRegexp  // matches()
	set   *mentionSet // mentions()
}

func newExpr(src string, prg cel.Program, ast *cel.Ast, words *vocab) *expr {
	e := &expr{src: src, prg: prg}
	walkExpr(ast.NativeRep().Expr(), 0, func(x celast.Expr) {
		switch x.Kind() {
		case celast.SelectKind:
			if r, ok := selectRef(x); ok && !containsRef(e.refs, r) {
				e.refs = append(e.refs, r)
			}
		case celast.CallKind:
			if m, ok := regexCall(x); ok {
				e.matchers = append(e.matchers, m)
			} else if m, ok := mentionTarget(x, words); ok {
				e.matchers = append(e.matchers, m)
			}
		}
	})
	e.shown = len(e.refs)
	if len(e.matchers) > 0 {
		e.shown++
	}
	return e
}

// eval runs the expression against one evaluation's variables.
func (e *expr) eval(st *evalState) (bool, error) {
	out, _, err := e.prg.Eval(st)
	if err != nil {
		return false, err
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, fmt.Errorf("expression yielded %s, not a bool", out.Type().TypeName())
	}
	return bool(b), nil
}

func selectRef(x celast.Expr) (fieldRef, bool) {
	s := x.AsSelect()
	if s.IsTestOnly() || s.Operand().Kind() != celast.IdentKind {
		return fieldRef{}, false
	}
	name, field := s.Operand().AsIdent(), s.FieldName()
	r := fieldRef{name: name, field: field, key: name + "." + field, idx: -1}
	if d := descOf(name); d != nil {
		if i, ok := d.index[field]; ok {
			r.idx = i
		}
	}
	return r, true
}

// descOf is the object type of a CEL variable.
func descOf(name string) *objDesc {
	switch name {
	case "ticket":
		return ticketDesc
	case "classification":
		return classDesc
	case "requester", "subject", "owner":
		return personDesc
	}
	return nil
}

func containsRef(l []fieldRef, r fieldRef) bool {
	for _, x := range l {
		if x == r {
			return true
		}
	}
	return false
}

// regexCall recognizes ticket.<field>.matches('<constant>') in either call
// form.
func regexCall(x celast.Expr) (textMatch, bool) {
	c := x.AsCall()
	if c.FunctionName() != "matches" {
		return textMatch{}, false
	}
	args := c.Args()
	var target, pat celast.Expr
	switch {
	case c.IsMemberFunction() && len(args) == 1:
		target, pat = c.Target(), args[0]
	case !c.IsMemberFunction() && len(args) == 2:
		target, pat = args[0], args[1]
	default:
		return textMatch{}, false
	}
	if target.Kind() != celast.SelectKind || pat.Kind() != celast.LiteralKind {
		return textMatch{}, false
	}
	r, ok := selectRef(target)
	lit, isStr := pat.AsLiteral().(types.String)
	if !ok || !isStr || r.name != "ticket" {
		return textMatch{}, false
	}
	re, err := compileLitRegexp(string(lit))
	if err != nil {
		return textMatch{}, false
	}
	return textMatch{field: r.idx, re: re}, true
}

// mentionTarget recognizes ticket.mentions([...]) and
// ticket.<field>.mentions([...]) with a constant list.
func mentionTarget(x celast.Expr, words *vocab) (textMatch, bool) {
	l, ok := mentionsList(x)
	c := x.AsCall()
	if !ok || !c.IsMemberFunction() {
		return textMatch{}, false
	}
	var field int
	switch t := c.Target(); {
	case t.Kind() == celast.IdentKind && t.AsIdent() == "ticket":
		field = tfText
	case t.Kind() == celast.SelectKind:
		r, isRef := selectRef(t)
		if !isRef || r.name != "ticket" {
			return textMatch{}, false
		}
		field = r.idx
	default:
		return textMatch{}, false
	}
	phrases := make([]string, 0, len(l.Elements()))
	for _, el := range l.Elements() {
		lit, isStr := literalString(el)
		if !isStr {
			return textMatch{}, false
		}
		phrases = append(phrases, lit)
	}
	set, err := newMentionSet(words, phrases)
	if err != nil {
		return textMatch{}, false
	}
	return textMatch{field: field, set: set}, true
}

// walkExpr visits every node; CEL's parser bounds nesting, depth is a guard.
func walkExpr(x celast.Expr, depth int, fn func(celast.Expr)) {
	if x == nil || depth > 500 {
		return
	}
	fn(x)
	d := depth + 1
	switch x.Kind() {
	case celast.CallKind:
		c := x.AsCall()
		if c.IsMemberFunction() {
			walkExpr(c.Target(), d, fn)
		}
		for _, a := range c.Args() {
			walkExpr(a, d, fn)
		}
	case celast.SelectKind:
		walkExpr(x.AsSelect().Operand(), d, fn)
	case celast.ListKind:
		for _, el := range x.AsList().Elements() {
			walkExpr(el, d, fn)
		}
	case celast.MapKind:
		for _, en := range x.AsMap().Entries() {
			me := en.AsMapEntry()
			walkExpr(me.Key(), d, fn)
			walkExpr(me.Value(), d, fn)
		}
	case celast.StructKind:
		for _, f := range x.AsStruct().Fields() {
			walkExpr(f.AsStructField().Value(), d, fn)
		}
	case celast.ComprehensionKind:
		c := x.AsComprehension()
		for _, e := range []celast.Expr{c.IterRange(), c.AccuInit(), c.LoopCondition(), c.LoopStep(), c.Result()} {
			walkExpr(e, d, fn)
		}
	}
}
