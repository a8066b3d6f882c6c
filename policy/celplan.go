package policy

import (
	"reflect"
	"sync"

	"github.com/google/cel-go/common/containers"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
)

// planDecorator rewrites a compiled CEL program's plan for speed without
// changing its meaning: field reads on the accessbridge objects become
// indexed loads, and mentions() and matches() calls with constant
// arguments use versions compiled once (see textDecorator).
func planDecorator(words *vocab) interpreter.InterpretableDecorator {
	text := textDecorator(words)
	return func(i interpreter.Interpretable) (interpreter.Interpretable, error) {
		if a, ok := i.(interpreter.InterpretableAttribute); ok {
			if f, ok := newFieldRead(a); ok {
				return f, nil
			}
			return i, nil
		}
		return text(i)
	}
}

// fieldRead is variable.field on one of the object types. CEL's generic
// path resolves the variable, then the field through the type provider
// and a closure; this resolves the variable the same way (so comprehension
// variables still shadow it) and reads the field by index.
type fieldRead struct {
	orig interpreter.InterpretableAttribute
	name string
	desc *objDesc
	idx  int
}

func newFieldRead(a interpreter.InterpretableAttribute) (*fieldRead, bool) {
	attr, ok := a.Attr().(interpreter.NamespacedAttribute)
	if !ok || len(attr.CandidateVariableNames()) != 1 || len(attr.Qualifiers()) != 1 {
		return nil, false
	}
	name := attr.CandidateVariableNames()[0]
	q, ok := attr.Qualifiers()[0].(interpreter.ConstantQualifier)
	d := descOf(name)
	if !ok || q.IsOptional() || d == nil || reflect.TypeOf(q) != fieldQualifierType() {
		return nil, false
	}
	field, ok := q.Value().(types.String)
	if !ok {
		return nil, false
	}
	idx, ok := d.index[string(field)]
	if !ok {
		return nil, false
	}
	return &fieldRead{orig: a, name: name, desc: d, idx: idx}, true
}

// fieldQualifierType is the type of qualifier CEL builds for a plain field
// selection on an object; has() and optional selections use others.
var fieldQualifierType = sync.OnceValue(func() reflect.Type {
	prov := &provider{Registry: types.NewEmptyRegistry(), objs: map[string]*objDesc{ticketTypeName: ticketDesc}}
	fac := interpreter.NewAttributeFactory(containers.DefaultContainer, prov, prov)
	q, err := fac.NewQualifier(ticketDesc.typ, 1, "summary", false)
	if err != nil {
		return nil
	}
	return reflect.TypeOf(q)
})

func (f *fieldRead) ID() int64 { return f.orig.ID() }

func (f *fieldRead) Eval(act interpreter.Activation) ref.Val {
	v, _ := act.ResolveName(f.name)
	o, ok := v.(*obj)
	if !ok || o.desc != f.desc {
		return f.orig.Eval(act)
	}
	val, err := getField(o, f.idx)
	if err != nil {
		return types.LabelErrNode(f.orig.ID(), types.WrapErr(err))
	}
	return val.(ref.Val)
}
