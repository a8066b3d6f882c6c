package jirafake

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// apiErr is a Jira error answer.
type apiErr struct {
	status int
	msgs   []string
	errs   map[string]string
}

func (e *apiErr) Error() string {
	if len(e.msgs) > 0 {
		return e.msgs[0]
	}
	for k, v := range e.errs {
		return k + ": " + v
	}
	return http.StatusText(e.status)
}

func (e *apiErr) write(w http.ResponseWriter) { writeErr(w, e.status, e.msgs, e.errs) }

func badField(field, msg string) *apiErr {
	return &apiErr{status: http.StatusBadRequest, errs: map[string]string{field: msg}}
}

func badRequest(msg string) *apiErr {
	return &apiErr{status: http.StatusBadRequest, msgs: []string{msg}}
}

// create makes an issue from create-issue "fields". Caller holds f.mu.
func (f *Fake) create(by *User, fields map[string]json.RawMessage, v3 bool) (*issue, *apiErr) {
	p, e := f.projectOf(fields["project"])
	if e != nil {
		return nil, e
	}
	it, e := issueTypeOf(p, fields["issuetype"])
	if e != nil {
		return nil, e
	}
	st, _ := f.workflow.status(f.workflow.Initial)
	f.nextIssue++
	now := f.tick()
	is := &issue{
		id: strconv.Itoa(f.nextIssue), project: p, itype: it, status: st, reporter: by, creator: by,
		priority: "Medium", custom: map[string]json.RawMessage{}, props: map[string]json.RawMessage{},
		created: now, updated: now,
	}
	is.key = fmt.Sprintf("%s-%d", p.key, f.countIn(p)+1)
	rest := map[string]json.RawMessage{}
	for k, v := range fields {
		if k != "project" && k != "issuetype" {
			rest[k] = v
		}
	}
	if _, e := f.setFields(is, rest, v3); e != nil {
		return nil, e
	}
	if strings.TrimSpace(is.summary) == "" {
		return nil, badField("summary", "You must specify a summary of the issue.")
	}
	f.issues[is.key], f.byID[is.id] = is, is
	f.order = append(f.order, is)
	f.emit("jira:issue_created", "issue_created", is, by, nil, nil)
	return is, nil
}

func (f *Fake) countIn(p *project) int {
	n := 0
	for _, is := range f.order {
		if is.project == p {
			n++
		}
	}
	return n
}

func (f *Fake) projectOf(raw json.RawMessage) (*project, *apiErr) {
	var ref struct{ Key, ID string }
	var s string
	if json.Unmarshal(raw, &s) == nil {
		ref.Key = s
	} else {
		_ = json.Unmarshal(raw, &ref)
	}
	for _, p := range f.projects {
		if (ref.Key != "" && strings.EqualFold(p.key, ref.Key)) || (ref.ID != "" && p.id == ref.ID) {
			return p, nil
		}
	}
	return nil, badField("project", "valid project is required")
}

func issueTypeOf(p *project, raw json.RawMessage) (issueType, *apiErr) {
	var ref struct{ Name, ID string }
	var s string
	if json.Unmarshal(raw, &s) == nil {
		ref.Name = s
	} else {
		_ = json.Unmarshal(raw, &ref)
	}
	for _, t := range p.types {
		if (ref.Name != "" && strings.EqualFold(t.name, ref.Name)) || (ref.ID != "" && t.id == ref.ID) {
			return t, nil
		}
	}
	return issueType{}, badField("issuetype", "valid issue type is required")
}

// edit applies a PUT /issue body ({"fields":…,"update":…}). Caller holds f.mu.
func (f *Fake) edit(by *User, is *issue, fields map[string]json.RawMessage, update map[string][]map[string]json.RawMessage, v3 bool) *apiErr {
	saved := *is
	saved.labels, saved.custom = slices.Clone(is.labels), maps.Clone(is.custom)
	saved.components = slices.Clone(is.components)
	items, e := f.applyEdit(is, fields, update, v3)
	if e != nil {
		*is = saved // Jira edits are all-or-nothing
		return e
	}
	if len(items) > 0 {
		f.record(by, is, items)
		f.emit("jira:issue_updated", "issue_updated", is, by, items, nil)
	}
	return nil
}

func (f *Fake) applyEdit(is *issue, fields map[string]json.RawMessage, update map[string][]map[string]json.RawMessage, v3 bool) ([]changeItem, *apiErr) {
	items, e := f.setFields(is, fields, v3)
	if e != nil {
		return nil, e
	}
	for field, ops := range update {
		if field != "labels" {
			return nil, badField(field, "Field '"+field+"' cannot be set. It is not on the appropriate screen, or unknown.")
		}
		it, e := applyLabelOps(is, ops)
		if e != nil {
			return nil, e
		}
		if it != nil {
			items = append(items, *it)
		}
	}
	return items, nil
}

// record appends a changelog entry and moves `updated`.
func (f *Fake) record(by *User, is *issue, items []changeItem) {
	is.updated = f.tick()
	is.histories = append(is.histories, history{id: f.newID(), author: by, created: is.updated, items: items})
}

// setFields validates and applies "fields", returning changelog items.
func (f *Fake) setFields(is *issue, fields map[string]json.RawMessage, v3 bool) ([]changeItem, *apiErr) {
	var items []changeItem
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		it, e := f.setField(is, k, fields[k], v3)
		if e != nil {
			return nil, e
		}
		if it != nil {
			items = append(items, *it)
		}
	}
	return items, nil
}

func (f *Fake) setField(is *issue, k string, raw json.RawMessage, v3 bool) (*changeItem, *apiErr) {
	switch {
	case k == "summary":
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, badField(k, "Operation value must be a string")
		}
		return textChange(k, &is.summary, s), nil
	case k == "description":
		s, ok := descriptionText(raw, v3)
		if !ok {
			return nil, badField(k, "Operation value must be a string")
		}
		return textChange(k, &is.description, s), nil
	case k == "labels":
		var ls []string
		if json.Unmarshal(raw, &ls) != nil {
			return nil, badField(k, "Operation value must be an array of strings")
		}
		return setLabels(is, ls)
	case k == "assignee" || k == "reporter":
		return f.setUserField(is, k, raw)
	case k == "priority":
		var p struct{ Name, ID string }
		if json.Unmarshal(raw, &p) != nil || p.Name == "" {
			return nil, badField(k, "Priority name is required")
		}
		return textChange(k, &is.priority, p.Name), nil
	case k == "components":
		var cs []struct{ Name string }
		if json.Unmarshal(raw, &cs) != nil {
			return nil, badField(k, "Operation value must be an array")
		}
		is.components = is.components[:0]
		for _, c := range cs {
			is.components = append(is.components, c.Name)
		}
		return nil, nil
	case strings.HasPrefix(k, "customfield_"):
		return setCustom(is, k, f.expandUser(raw)), nil
	}
	return nil, badField(k, "Field '"+k+"' cannot be set. It is not on the appropriate screen, or unknown.")
}

func descriptionText(raw json.RawMessage, v3 bool) (string, bool) {
	if string(raw) == "null" {
		return "", true
	}
	if v3 {
		return textFromADF(raw)
	}
	var s string
	return s, json.Unmarshal(raw, &s) == nil
}

func textChange(field string, dst *string, v string) *changeItem {
	if *dst == v {
		return nil
	}
	it := &changeItem{Field: field, FieldType: "jira", FromString: *dst, ToString: v}
	*dst = v
	return it
}

func setCustom(is *issue, k string, raw json.RawMessage) *changeItem {
	old := string(is.custom[k])
	if string(raw) == "null" {
		delete(is.custom, k)
	} else {
		is.custom[k] = append(json.RawMessage(nil), raw...)
	}
	if old == string(raw) {
		return nil
	}
	return &changeItem{Field: k, FieldType: "custom", FromString: old, ToString: string(raw)}
}

func (f *Fake) setUserField(is *issue, k string, raw json.RawMessage) (*changeItem, *apiErr) {
	dst := &is.assignee
	if k == "reporter" {
		dst = &is.reporter
	}
	var ref struct{ Name, AccountID, ID string }
	if string(raw) != "null" {
		if json.Unmarshal(raw, &ref) != nil {
			return nil, badField(k, "expected an object")
		}
	}
	var u *User
	if id := ref.AccountID + ref.Name + ref.ID; id != "" {
		if u = f.user(id); u == nil {
			return nil, badField(k, "User '"+id+"' does not exist.")
		}
	}
	if *dst == u {
		return nil, nil
	}
	it := &changeItem{Field: k, FieldType: "jira", From: accountOf(*dst), To: accountOf(u)}
	*dst = u
	return it, nil
}

func accountOf(u *User) string {
	if u == nil {
		return ""
	}
	return u.AccountID
}

func validLabel(l string) *apiErr {
	if l == "" || strings.ContainsAny(l, " \t\n") || len(l) > 255 {
		return badField("labels", "The label '"+l+"' contains spaces which is invalid.")
	}
	return nil
}

func setLabels(is *issue, ls []string) (*changeItem, *apiErr) {
	for _, l := range ls {
		if e := validLabel(l); e != nil {
			return nil, e
		}
	}
	return labelChange(is, slices.Compact(slices.Sorted(slices.Values(ls)))), nil
}

func applyLabelOps(is *issue, ops []map[string]json.RawMessage) (*changeItem, *apiErr) {
	ls := slices.Clone(is.labels)
	for _, op := range ops {
		for verb, raw := range op {
			switch verb {
			case "add", "remove":
				var l string
				if json.Unmarshal(raw, &l) != nil {
					return nil, badField("labels", "Operation value must be a string")
				}
				if e := validLabel(l); e != nil {
					return nil, e
				}
				ls = slices.DeleteFunc(ls, func(x string) bool { return x == l })
				if verb == "add" {
					ls = append(ls, l)
				}
			case "set":
				var set []string
				if json.Unmarshal(raw, &set) != nil {
					return nil, badField("labels", "Operation value must be an array of strings")
				}
				ls = set
			default:
				return nil, badField("labels", "Unsupported operation '"+verb+"'")
			}
		}
	}
	return setLabels(is, ls)
}

func labelChange(is *issue, ls []string) *changeItem {
	if slices.Equal(is.labels, ls) {
		return nil
	}
	it := &changeItem{Field: "labels", FieldType: "jira", FromString: strings.Join(is.labels, " "), ToString: strings.Join(ls, " ")}
	is.labels = ls
	return it
}

// addComment stores a comment. Caller holds f.mu.
func (f *Fake) addComment(by *User, is *issue, body string, adf json.RawMessage) *comment {
	now := f.tick()
	c := &comment{id: f.newID(), author: by, updAuth: by, body: body, adf: adf, created: now, updated: now}
	is.comments = append(is.comments, c)
	is.updated = now
	f.emit("comment_created", "issue_commented", is, by, nil, c)
	return c
}

func (f *Fake) editComment(by *User, is *issue, c *comment, body string, adf json.RawMessage) {
	c.body, c.adf, c.updAuth = body, adf, by
	c.updated = f.tick()
	is.updated = c.updated
	f.emit("comment_updated", "issue_comment_edited", is, by, nil, c)
}

// transition executes a workflow transition. Caller holds f.mu.
func (f *Fake) transition(by *User, is *issue, t WorkflowTransition) {
	to, _ := f.workflow.status(t.To)
	from := is.status
	is.status = to
	item := changeItem{Field: "status", FieldType: "jira", From: from.ID, FromString: from.Name, To: to.ID, ToString: to.Name}
	f.record(by, is, []changeItem{item})
	is.transitions = append(is.transitions, TransitionRecord{ID: t.ID, Name: t.Name, From: from.Name, To: to.Name, Actor: by.AccountID, At: is.updated})
	f.emit("jira:issue_updated", "issue_generic", is, by, []changeItem{item}, nil)
}

// expandUser renders a user-picker value ({"accountId":…} or {"name":…})
// as the full user object Jira returns for it.
func (f *Fake) expandUser(raw json.RawMessage) json.RawMessage {
	var ref map[string]any
	if json.Unmarshal(raw, &ref) != nil || len(ref) == 0 || len(ref) > 2 {
		return raw
	}
	id := ""
	for k, v := range ref {
		s, ok := v.(string)
		if !ok || (k != "accountId" && k != "name") {
			return raw
		}
		id = s
	}
	if u := f.user(id); u != nil {
		b, _ := json.Marshal(f.userJSON(u))
		return b
	}
	return raw
}
