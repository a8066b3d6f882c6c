package policy

import (
	"fmt"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/interpreter"
)

// mentions is the CEL function for word matching, the common case of
// classify rules:
//
//	ticket.mentions(['admin', 'root', 'super user', 'service account'])
//	ticket.summary.mentions(['sev 1', 'outage'])
//
// It is true when the text (for ticket.mentions, the summary and the
// description) contains one of the words or phrases as whole words,
// ignoring case. A word is a run of letters and digits, so 'admin' matches
// "Admin's" and "admin_group" but not "admins" or "sysadmin". The words
// of a phrase may be separated in the text by any run of spaces, dashes,
// underscores and apostrophes on one line, or written together:
// 'super user' matches "Super User", "super-user", "super_user" and
// "superuser" (but 'superuser' matches only "superuser"); 'can't' matches
// "can’t" and "cant". Phrases holding other punctuation, and empty lists,
// are load errors, as are arguments of the wrong type. The explanation
// shows the text that matched (for constant lists).
//
// A constant list is compiled when the policy loads and the text split
// into words once per evaluation, so a call costs a few comparisons
// rather than a regular expression search.
const mentionsFunc = "mentions"

func mentionsDecl() cel.EnvOption {
	list := cel.ListType(cel.StringType)
	return cel.Function(mentionsFunc,
		cel.MemberOverload("string_mentions_list", []*cel.Type{cel.StringType, list}, cel.BoolType,
			cel.BinaryBinding(mentionsDynamic)),
		cel.MemberOverload("ticket_mentions_list", []*cel.Type{ticketDesc.typ, list}, cel.BoolType,
			cel.BinaryBinding(mentionsDynamic)),
	)
}

// textDecorator replaces mentions() and matches() calls whose list or
// pattern is a constant by versions compiled once: mentions() against the
// policy's vocabulary, matches() with a literal prefilter.
func textDecorator(words *vocab) interpreter.InterpretableDecorator {
	return func(i interpreter.Interpretable) (interpreter.Interpretable, error) {
		call, ok := i.(interpreter.InterpretableCall)
		if !ok || len(call.Args()) != 2 {
			return i, nil
		}
		arg, isConst := call.Args()[1].(interpreter.InterpretableConst)
		if !isConst {
			return i, nil
		}
		switch call.Function() {
		case mentionsFunc:
			phrases, ok := celStrings(arg.Value())
			if !ok {
				return i, nil
			}
			set, err := newMentionSet(words, phrases)
			if err != nil {
				return nil, err
			}
			return &compiledMentions{id: call.ID(), text: call.Args()[0], set: set}, nil
		case "matches":
			pat, ok := arg.Value().(types.String)
			if !ok {
				return i, nil
			}
			re, err := compileLitRegexp(string(pat))
			if err != nil {
				return nil, err
			}
			return &compiledMatches{id: call.ID(), text: call.Args()[0], re: re}, nil
		}
		return i, nil
	}
}

// compiledMentions is mentions() with a compiled list. It finds the
// evaluation's cached word view through the activation.
type compiledMentions struct {
	id   int64
	text interpreter.Interpretable
	set  *mentionSet
}

func (c *compiledMentions) ID() int64 { return c.id }

func (c *compiledMentions) Eval(act interpreter.Activation) ref.Val {
	return c.set.eval(c.text.Eval(act), act)
}

// compiledMatches is matches() with a compiled, prefiltered pattern.
type compiledMatches struct {
	id   int64
	text interpreter.Interpretable
	re   *litRegexp
}

func (c *compiledMatches) ID() int64 { return c.id }

func (c *compiledMatches) Eval(act interpreter.Activation) ref.Val {
	v := c.text.Eval(act)
	s, ok := v.(types.String)
	if !ok {
		return noOverload(v)
	}
	var starts []int32
	if st := stateOf(act); st != nil {
		starts = st.view(string(s)).starts
	}
	return types.Bool(c.re.matchIn(string(s), starts))
}

// mentionsDynamic is mentions() with a list known only at run time.
func mentionsDynamic(target, phrases ref.Val) ref.Val {
	list, ok := celStrings(phrases)
	if !ok {
		return noOverload(phrases)
	}
	set, err := newMentionSet(newVocab(), list)
	if err != nil {
		return types.NewErr("%v", err)
	}
	return set.eval(target, nil)
}

// eval applies the set to a string or ticket; act, when it leads to an
// evaluation state of the same policy, gives the cached word view.
func (m *mentionSet) eval(target ref.Val, act interpreter.Activation) ref.Val {
	text, ok := mentionText(target)
	if !ok {
		return noOverload(target)
	}
	var v *textView
	if st := stateOf(act); st != nil && st.p.words == m.words {
		v = st.view(text)
	} else {
		tv := m.words.view(text)
		v = &tv
	}
	_, _, found := m.find(v)
	return types.Bool(found)
}

// mentionText is the text mentions() searches: a string, or a ticket's
// summary and description.
func mentionText(v ref.Val) (string, bool) {
	switch x := v.(type) {
	case types.String:
		return string(x), true
	case *obj:
		if x.desc == ticketDesc {
			s, ok := x.get(tfText).(types.String)
			return string(s), ok
		}
	}
	return "", false
}

func noOverload(v ref.Val) ref.Val {
	if types.IsUnknownOrError(v) {
		return v
	}
	return types.NoSuchOverloadErr()
}

// celStrings reads a CEL list of strings.
func celStrings(v ref.Val) ([]string, bool) {
	l, ok := v.(traits.Lister)
	if !ok {
		return nil, false
	}
	n, _ := l.Size().(types.Int)
	out := make([]string, 0, int(n))
	for it := l.Iterator(); it.HasNext() == types.True; {
		s, isStr := it.Next().(types.String)
		if !isStr {
			return nil, false
		}
		out = append(out, string(s))
	}
	return out, true
}

// stateOf finds the evalState an expression runs against; CEL wraps it in
// other activations inside comprehensions.
func stateOf(act interpreter.Activation) *evalState {
	for i := 0; act != nil && i < 64; i++ {
		if st, ok := act.(*evalState); ok {
			return st
		}
		act = act.Parent()
	}
	return nil
}

// checkMentions reports constant mentions() lists that could never
// match, with their position in the expression.
func checkMentions(ast *cel.Ast) []error {
	var errs []error
	info := ast.NativeRep().SourceInfo()
	at := func(err error, id int64) error {
		loc := info.GetStartLocation(id)
		return fmt.Errorf("%w (expression %d:%d)", err, loc.Line(), loc.Column()+1)
	}
	walkExpr(ast.NativeRep().Expr(), 0, func(x celast.Expr) {
		l, ok := mentionsList(x)
		if !ok {
			return
		}
		if len(l.Elements()) == 0 {
			_, err := newMentionSet(newVocab(), nil)
			errs = append(errs, at(err, x.ID()))
		}
		for _, el := range l.Elements() {
			if lit, isStr := literalString(el); isStr {
				if _, err := phraseWords(lit); err != nil {
					errs = append(errs, at(err, el.ID()))
				}
			}
		}
	})
	return errs
}

// mentionsList returns the list literal of a mentions() call.
func mentionsList(x celast.Expr) (celast.ListExpr, bool) {
	if x.Kind() != celast.CallKind || x.AsCall().FunctionName() != mentionsFunc {
		return nil, false
	}
	args := x.AsCall().Args()
	if len(args) == 0 || args[len(args)-1].Kind() != celast.ListKind {
		return nil, false
	}
	return args[len(args)-1].AsList(), true
}

func literalString(x celast.Expr) (string, bool) {
	if x.Kind() != celast.LiteralKind {
		return "", false
	}
	s, ok := x.AsLiteral().(types.String)
	return string(s), ok
}
