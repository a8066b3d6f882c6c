package directory

import (
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accessbridge/accessbridge/policy"
)

// Columns are the field names a directory file may use, in the order a CSV
// export would list them. Anything else is an error: a misspelt column
// would otherwise silently drop data the policy relies on.
var Columns = []string{
	"email", "name", "active", "employment_type", "department", "title", "manager",
	"groups", "start_date", "end_date", "owner", "purpose", "expiry", "rotation",
}

// required fields: without them a person cannot be judged, and a missing
// "active" must not quietly read as "inactive" or "active".
var required = []string{"email", "active", "employment_type"}

// EmploymentTypes are the accepted employment_type values. "bot" is
// accepted because policy.Person.NonHuman knows it.
var EmploymentTypes = []string{"employee", "contractor", "intern", "service_account", "api_key", "token", "bot"}

// nhiOnly fields describe non-human identities; on a human they are a data error.
var nhiOnly = []string{"owner", "purpose", "expiry", "rotation"}

func knownColumn(name string) bool { return slices.Contains(Columns, name) }

// kind is what a value was in the source format.
type kind int

const (
	kindString kind = iota
	kindBool
	kindNumber
	kindNull
	kindList
	kindObject
)

var kindNames = [...]string{"string", "boolean", "number", "null", "list", "object"}

// field is one name/value of a record as a reader saw it.
type field struct {
	name  string
	kind  kind
	value string   // scalar text
	list  []string // kindList
	at    pos
}

// record is one person as read, before interpretation.
type record struct {
	at     pos
	fields []field
}

// entry is a built person with the positions later checks report at.
type entry struct {
	p          policy.Person
	at         pos
	managerAt  pos
	ownerAt    pos
	hasManager bool
	hasOwner   bool
}

// build turns a record into a person, reporting every bad field. ok is
// false when the record cannot be indexed (no usable email).
func build(r record, p *problems) (entry, bool) {
	e := entry{at: r.at}
	seen := map[string]pos{}
	for _, f := range r.fields {
		if first, dup := seen[f.name]; dup {
			p.add(f.at, "duplicate field %q (first on line %d)", f.name, first.line)
			continue
		}
		seen[f.name] = f.at
		if f.kind == kindNull || (f.kind == kindString && strings.TrimSpace(f.value) == "") {
			continue // empty is absent
		}
		if msg := setField(&e, f); msg != "" {
			p.add(f.at, "%s", msg)
		}
	}
	for _, name := range required {
		if fieldEmpty(r, name) {
			p.add(r.at, "%s: missing", name)
		}
	}
	checkRecord(e, seen, p)
	return e, e.p.Email != ""
}

func fieldEmpty(r record, name string) bool {
	for _, f := range r.fields {
		if f.name == name {
			return f.kind == kindNull || (f.kind == kindString && strings.TrimSpace(f.value) == "")
		}
	}
	return true
}

// checkRecord applies the rules that span fields of one record.
func checkRecord(e entry, seen map[string]pos, p *problems) {
	if e.p.EmploymentType != "" && !e.p.NonHuman() {
		for _, name := range nhiOnly {
			if at, ok := seen[name]; ok && hasValue(e.p, name) {
				p.add(at, "%s: only for service_account, api_key, token or bot (employment_type is %q)", name, e.p.EmploymentType)
			}
		}
	}
	if !e.p.StartDate.IsZero() && !e.p.EndDate.IsZero() && e.p.EndDate.Before(e.p.StartDate) {
		p.add(seen["end_date"], "end_date %s is before start_date %s", day(e.p.EndDate), day(e.p.StartDate))
	}
	if e.hasManager && e.p.Manager == e.p.Email && e.p.Email != "" {
		p.add(e.managerAt, "manager %q: is the person themself", e.p.Manager)
	}
	if e.hasOwner && e.p.Owner == e.p.Email && e.p.Email != "" {
		p.add(e.ownerAt, "owner %q: an identity cannot own itself", e.p.Owner)
	}
}

func hasValue(p policy.Person, name string) bool {
	switch name {
	case "owner":
		return p.Owner != ""
	case "purpose":
		return p.Purpose != ""
	case "expiry":
		return !p.Expiry.IsZero()
	case "rotation":
		return p.Rotation != 0
	}
	return false
}

// setField interprets one field into e and returns a problem message, or "".
func setField(e *entry, f field) string {
	if !knownColumn(f.name) {
		return fmt.Sprintf("unknown field %q (known: %s)", f.name, strings.Join(Columns, ", "))
	}
	if f.name == "groups" {
		groups, msg := groupsOf(f)
		e.p.Groups = groups
		return msg
	}
	if f.name == "active" {
		return setActive(&e.p, f)
	}
	if f.kind != kindString {
		return fmt.Sprintf("%s: want a string, got %s", f.name, kindNames[f.kind])
	}
	v := strings.TrimSpace(f.value)
	var msg string
	switch f.name {
	case "email":
		e.p.Email, msg = emailOf(f.name, v)
	case "manager":
		e.p.Manager, msg = emailOf(f.name, v)
		e.hasManager, e.managerAt = true, f.at
	case "owner":
		e.p.Owner, msg = emailOf(f.name, v)
		e.hasOwner, e.ownerAt = true, f.at
	case "employment_type":
		e.p.EmploymentType, msg = employmentOf(v)
	case "name":
		e.p.Name = v
	case "department":
		e.p.Department = v
	case "title":
		e.p.Title = v
	case "purpose":
		e.p.Purpose = v
	case "start_date":
		e.p.StartDate, msg = dateOf(f.name, v)
	case "end_date":
		e.p.EndDate, msg = dateOf(f.name, v)
	case "expiry":
		e.p.Expiry, msg = dateOf(f.name, v)
	case "rotation":
		e.p.Rotation, msg = durationOf(f.name, v)
	}
	return msg
}

func setActive(p *policy.Person, f field) string {
	if f.kind != kindString && f.kind != kindBool {
		return fmt.Sprintf("active: want true or false, got %s", kindNames[f.kind])
	}
	switch strings.ToLower(strings.TrimSpace(f.value)) {
	case "true", "yes", "y", "1":
		p.Active = true
	case "false", "no", "n", "0":
		p.Active = false
	default:
		return fmt.Sprintf("active %q: want true or false", f.value)
	}
	return ""
}

// emailOf lower-cases and checks an address: lookups are case-insensitive
// and a display name ("Ana <ana@x>") would never match a ticket's email.
func emailOf(name, v string) (string, string) {
	v = strings.ToLower(v)
	a, err := mail.ParseAddress(v)
	if err != nil || a.Name != "" || a.Address != v {
		return "", fmt.Sprintf("%s %q: not an email address", name, v)
	}
	return v, ""
}

func employmentOf(v string) (string, string) {
	t := strings.ToLower(v)
	if !slices.Contains(EmploymentTypes, t) {
		return "", fmt.Sprintf("employment_type %q: want one of %s", v, strings.Join(EmploymentTypes, ", "))
	}
	return t, ""
}

// groupsOf accepts a list, or a string separated by ";" (the CSV form).
func groupsOf(f field) ([]string, string) {
	var raw []string
	switch f.kind {
	case kindList:
		raw = f.list
	case kindString:
		raw = strings.Split(f.value, ";")
	default:
		return nil, fmt.Sprintf("groups: want a list or a \";\"-separated string, got %s", kindNames[f.kind])
	}
	var out []string
	for _, g := range raw {
		g = strings.TrimSpace(g)
		if g == "" || slices.Contains(out, g) {
			continue
		}
		if strings.ContainsAny(g, " \t,") {
			return nil, fmt.Sprintf("groups: %q: group names have no spaces or commas (separate groups with \";\")", g)
		}
		out = append(out, g)
	}
	return out, ""
}

// dateOf parses YYYY-MM-DD (midnight UTC) or RFC 3339.
func dateOf(name, v string) (time.Time, string) {
	layout := time.RFC3339
	if len(v) == len(time.DateOnly) {
		layout = time.DateOnly
	}
	t, err := time.Parse(layout, v)
	if err == nil {
		return t.UTC(), ""
	}
	var pe *time.ParseError
	if errors.As(err, &pe) && pe.Message != "" {
		return time.Time{}, fmt.Sprintf("%s %q: %s", name, v, strings.TrimPrefix(pe.Message, ": "))
	}
	return time.Time{}, fmt.Sprintf("%s %q: want YYYY-MM-DD or RFC 3339", name, v)
}

// maxDays keeps day counts far from time.Duration overflow (~292 years).
const maxDays = 36600

// durationOf parses 90d, 2w or anything time.ParseDuration accepts.
func durationOf(name, v string) (time.Duration, string) {
	bad := fmt.Sprintf("%s %q: want a positive duration such as 90d, 2w or 12h", name, v)
	if n := len(v); n > 1 && (v[n-1] == 'd' || v[n-1] == 'w') {
		k, err := strconv.Atoi(v[:n-1])
		if err != nil || k <= 0 {
			return 0, bad
		}
		if v[n-1] == 'w' && k <= maxDays {
			k *= 7
		}
		if k > maxDays {
			return 0, fmt.Sprintf("%s %q: longer than %d days", name, v, maxDays)
		}
		return time.Duration(k) * 24 * time.Hour, ""
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, bad
	}
	return d, ""
}

func day(t time.Time) string { return t.Format(time.DateOnly) }
