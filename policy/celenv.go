package policy

import (
	"fmt"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
)

// The CEL variables, typed as objects so that a misspelt field
// (ticket.sumary) is a load error, not a runtime surprise.
const (
	ticketTypeName = "accessbridge.Ticket"
	personTypeName = "accessbridge.Person"
	classTypeName  = "accessbridge.Classification"
)

// Field indexes of the CEL object types; the order matches the descriptors.
const (
	tfSummary = iota
	tfDescription
	tfText
	tfType
	tfStatus
	tfProject
	tfSource
	tfKey
	tfPriority
	tfLabels
	tfComponents
	tfFields
	tfRequester
	tfSubject
	tfAssignee
)

const (
	pfEmail = iota
	pfName
	pfActive
	pfEmploymentType
	pfDepartment
	pfTitle
	pfManager
	pfGroups
	pfStartDate
	pfEndDate
	pfOwner
	pfPurpose
	pfExpiry
	pfRotation
	pfNonHuman
	pfFound
)

const (
	cfCategory = iota
	cfImpact
	cfImpactLevel
	cfResource
	cfRole
	cfDuration
	cfSubject
	cfJustification
	cfMatched
	cfKnownResource
	cfKnownRole
)

var (
	stringList = types.NewListType(types.StringType)
	ticketDesc = newObjDesc(ticketTypeName, []fieldDecl{
		{"summary", types.StringType}, {"description", types.StringType}, {"text", types.StringType},
		{"type", types.StringType}, {"status", types.StringType}, {"project", types.StringType},
		{"source", types.StringType}, {"key", types.StringType}, {"priority", types.StringType},
		{"labels", stringList}, {"components", stringList},
		{"fields", types.NewMapType(types.StringType, types.StringType)},
		{"requester", types.StringType}, {"subject", types.StringType}, {"assignee", types.StringType},
	})
	personDesc = newObjDesc(personTypeName, []fieldDecl{
		{"email", types.StringType}, {"name", types.StringType}, {"active", types.BoolType},
		{"employment_type", types.StringType}, {"department", types.StringType}, {"title", types.StringType},
		{"manager", types.StringType}, {"groups", stringList},
		{"start_date", types.TimestampType}, {"end_date", types.TimestampType},
		{"owner", types.StringType}, {"purpose", types.StringType},
		{"expiry", types.TimestampType}, {"rotation", types.DurationType},
		{"non_human", types.BoolType}, {"found", types.BoolType},
	})
	classDesc = newObjDesc(classTypeName, []fieldDecl{
		{"category", types.StringType}, {"impact", types.StringType}, {"impact_level", types.IntType},
		{"resource", types.StringType}, {"role", types.StringType}, {"duration", types.DurationType},
		{"subject", types.StringType}, {"justification", types.StringType}, {"matched", stringList},
		{"known_resource", types.BoolType}, {"known_role", types.BoolType},
	})
)

// envs holds the two CEL environments: classify rules see only the ticket,
// the extracted entitlement and now; every other expression also sees the
// directory people.
type envs struct {
	classify *cel.Env
	full     *cel.Env
}

var (
	envOnce sync.Once
	envVal  *envs
	envErr  error
)

func celEnvs() (*envs, error) {
	envOnce.Do(func() { envVal, envErr = newEnvs() })
	return envVal, envErr
}

func newEnvs() (*envs, error) {
	prov := &provider{Registry: types.NewEmptyRegistry(), objs: map[string]*objDesc{
		ticketTypeName: ticketDesc, personTypeName: personDesc, classTypeName: classDesc,
	}}
	base := []cel.EnvOption{
		cel.CustomTypeProvider(prov),
		ext.Strings(),
		mentionsDecl(),
		cel.Variable("ticket", ticketDesc.typ),
		cel.Variable("classification", classDesc.typ),
		cel.Variable("now", types.TimestampType),
	}
	cls, err := cel.NewEnv(base...)
	if err != nil {
		return nil, fmt.Errorf("policy: building CEL environment: %w", err)
	}
	full, err := cls.Extend(
		cel.Variable("requester", personDesc.typ),
		cel.Variable("subject", personDesc.typ),
		cel.Variable("owner", personDesc.typ),
	)
	if err != nil {
		return nil, fmt.Errorf("policy: building CEL environment: %w", err)
	}
	return &envs{classify: cls, full: full}, nil
}

type fieldDecl struct {
	name string
	typ  *types.Type
}

// objDesc describes one CEL object type backed by a Go value that computes
// its fields lazily (see obj).
type objDesc struct {
	typ    *types.Type
	names  []string
	index  map[string]int
	fields map[string]*types.FieldType
}

func newObjDesc(name string, decls []fieldDecl) *objDesc {
	d := &objDesc{
		typ:    types.NewObjectType(name),
		index:  make(map[string]int, len(decls)),
		fields: make(map[string]*types.FieldType, len(decls)),
	}
	for i, f := range decls {
		d.names = append(d.names, f.name)
		d.index[f.name] = i
		d.fields[f.name] = &types.FieldType{
			Type:    f.typ,
			IsSet:   func(target any) bool { o, ok := target.(*obj); return ok && o.has(i) },
			GetFrom: func(target any) (any, error) { return getField(target, i) },
		}
	}
	return d
}

func getField(target any, i int) (any, error) {
	o, ok := target.(*obj)
	if !ok {
		return nil, fmt.Errorf("unexpected CEL value %T", target)
	}
	v := o.get(i)
	if v == nil {
		return nil, fmt.Errorf("no such key: %s (check with has() first)", o.desc.names[i])
	}
	return v, nil
}

// provider adds the accessbridge object types to the standard registry.
type provider struct {
	*types.Registry
	objs map[string]*objDesc
}

func (p *provider) FindStructType(name string) (*types.Type, bool) {
	if d, ok := p.objs[name]; ok {
		return types.NewTypeTypeWithParam(d.typ), true
	}
	return p.Registry.FindStructType(name)
}

func (p *provider) FindStructFieldNames(name string) ([]string, bool) {
	if d, ok := p.objs[name]; ok {
		return d.names, true
	}
	return p.Registry.FindStructFieldNames(name)
}

func (p *provider) FindStructFieldType(name, field string) (*types.FieldType, bool) {
	if d, ok := p.objs[name]; ok {
		ft, found := d.fields[field]
		return ft, found
	}
	return p.Registry.FindStructFieldType(name, field)
}

func (p *provider) NewValue(name string, fields map[string]ref.Val) ref.Val {
	if _, ok := p.objs[name]; ok {
		return types.NewErr("%s values cannot be constructed in a policy", name)
	}
	return p.Registry.NewValue(name, fields)
}
