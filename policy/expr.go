package policy

import (
	"fmt"
	"regexp"

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
	matchers []textMatch // constant regexes matched against ticket text fields
}

type fieldRef struct{ name, field string }

type textMatch struct {
	field string
	re    *regexp.Regexp
}

func newExpr(src string, prg cel.Program, ast *cel.Ast) *expr {
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
			}
		}
	})
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
	return fieldRef{name: s.Operand().AsIdent(), field: s.FieldName()}, true
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
	re, err := regexp.Compile(string(lit))
	if err != nil {
		return textMatch{}, false
	}
	return textMatch{field: r.field, re: re}, true
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
