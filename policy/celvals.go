package policy

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// maxFields bounds the field count of one object type (Person has 16).
const maxFields = 16

// fieldSource computes one field of an object; ok is false when the field
// is absent (has() is false and reading it is an error).
type fieldSource interface {
	field(i int) (v ref.Val, ok bool)
}

// obj is a CEL object whose fields are computed on first use and cached for
// the rest of one evaluation, so a ticket costs only the fields its policy
// reads.
type obj struct {
	desc  *objDesc
	src   fieldSource
	cache [maxFields]ref.Val
	state [maxFields]uint8 // 0 not computed, 1 present, 2 absent
}

// reset points o at a source; stale cache entries are never read because
// their state is cleared.
func (o *obj) reset(d *objDesc, src fieldSource) {
	o.desc, o.src, o.state = d, src, [maxFields]uint8{}
}

func (o *obj) load(i int) {
	v, ok := o.src.field(i)
	if ok {
		o.cache[i], o.state[i] = v, 1
	} else {
		o.state[i] = 2
	}
}

func (o *obj) get(i int) ref.Val {
	if o.state[i] == 0 {
		o.load(i)
	}
	return o.cache[i]
}

func (o *obj) has(i int) bool {
	if o.state[i] == 0 {
		o.load(i)
	}
	return o.state[i] == 1
}

// at returns field i's value for explanations; i < 0 is absent.
func (o *obj) at(i int) (ref.Val, bool) {
	if i < 0 || !o.has(i) {
		return nil, false
	}
	return o.get(i), true
}

func (o *obj) ConvertToNative(t reflect.Type) (any, error) {
	return nil, fmt.Errorf("cannot convert %s to %v", o.desc.typ.TypeName(), t)
}

func (o *obj) ConvertToType(t ref.Type) ref.Val {
	switch t {
	case types.TypeType:
		return o.desc.typ
	}
	if t.TypeName() == o.desc.typ.TypeName() {
		return o
	}
	return types.NewErr("type conversion error from '%s' to '%s'", o.desc.typ.TypeName(), t.TypeName())
}

// Equal compares people by email; other objects by identity.
func (o *obj) Equal(other ref.Val) ref.Val {
	p, ok := other.(*obj)
	if !ok || p.desc != o.desc {
		return types.False
	}
	if o.desc == personDesc {
		return types.Bool(o.get(pfEmail).Equal(p.get(pfEmail)) == types.True)
	}
	return types.Bool(o == p)
}

func (o *obj) Type() ref.Type { return o.desc.typ }
func (o *obj) Value() any     { return o }

var emptyString ref.Val = types.String("")

func str(s string) ref.Val {
	if s == "" {
		return emptyString
	}
	return types.String(s)
}

func strList(l []string) ref.Val { return types.NewStringList(types.DefaultTypeAdapter, l) }

func timestamp(t time.Time) (ref.Val, bool) {
	if t.IsZero() {
		return nil, false
	}
	return types.Timestamp{Time: t}, true
}

// ticketSource serves the ticket variable.
type ticketSource struct{ st *evalState }

func (s *ticketSource) field(i int) (ref.Val, bool) {
	t := s.st.ticket
	switch i {
	case tfSummary:
		return str(t.Summary), true
	case tfDescription:
		return str(t.Description), true
	case tfText:
		return str(s.st.text), true
	case tfType:
		return str(t.Type), true
	case tfStatus:
		return str(t.Status), true
	case tfProject:
		return str(t.Project), true
	case tfSource:
		return str(t.Source), true
	case tfKey:
		return str(t.Key), true
	case tfPriority:
		return str(t.Priority), true
	case tfLabels:
		return strList(t.Labels), true
	case tfComponents:
		return strList(t.Components), true
	case tfFields:
		m := t.Fields
		if m == nil {
			m = map[string]string{}
		}
		return types.NewStringStringMap(types.DefaultTypeAdapter, m), true
	case tfRequester:
		return str(s.st.requesterEmail), true
	case tfSubject:
		return str(s.st.cls.Entitlement.Subject), true
	case tfAssignee:
		return str(t.Assignee), true
	}
	return nil, false
}

// personSource serves requester, subject and owner. A person the directory
// does not know has only email (as asked) and found=false.
type personSource struct {
	email string
	p     Person
	found bool
}

func (s *personSource) field(i int) (ref.Val, bool) {
	p := &s.p
	switch i {
	case pfEmail:
		return str(s.email), true
	case pfName:
		return str(p.Name), true
	case pfActive:
		return types.Bool(p.Active), true
	case pfEmploymentType:
		return str(p.EmploymentType), true
	case pfDepartment:
		return str(p.Department), true
	case pfTitle:
		return str(p.Title), true
	case pfManager:
		return str(strings.ToLower(p.Manager)), true
	case pfGroups:
		return strList(p.Groups), true
	case pfStartDate:
		return timestamp(p.StartDate)
	case pfEndDate:
		return timestamp(p.EndDate)
	case pfOwner:
		return str(strings.ToLower(p.Owner)), true
	case pfPurpose:
		return str(p.Purpose), true
	case pfExpiry:
		return timestamp(p.Expiry)
	case pfRotation:
		if p.Rotation <= 0 {
			return nil, false
		}
		return types.Duration{Duration: p.Rotation}, true
	case pfNonHuman:
		return types.Bool(p.NonHuman()), true
	case pfFound:
		return types.Bool(s.found), true
	}
	return nil, false
}

// classSource serves the classification variable.
type classSource struct {
	c                   *Classification
	knownRes, knownRole bool
}

func (s *classSource) field(i int) (ref.Val, bool) {
	c, e := s.c, &s.c.Entitlement
	switch i {
	case cfCategory:
		return str(string(c.Category)), true
	case cfImpact:
		return str(c.Impact.String()), true
	case cfImpactLevel:
		return types.Int(c.Impact), true
	case cfResource:
		return str(e.Resource), true
	case cfRole:
		return str(e.Role), true
	case cfDuration:
		return types.Duration{Duration: e.Duration}, true
	case cfSubject:
		return str(e.Subject), true
	case cfJustification:
		return str(e.Justification), true
	case cfMatched:
		return strList(c.Matched), true
	case cfKnownResource:
		return types.Bool(s.knownRes), true
	case cfKnownRole:
		return types.Bool(s.knownRole), true
	}
	return nil, false
}
