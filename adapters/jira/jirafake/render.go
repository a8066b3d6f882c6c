package jirafake

import (
	"encoding/json"
	"strings"
	"time"
)

// TimeLayout is how Jira writes timestamps in REST bodies (offset without
// a colon; UTC as +0000 — go-jira cannot parse "Z").
const TimeLayout = "2006-01-02T15:04:05.000-0700"

func jt(t time.Time) string { return t.UTC().Format(TimeLayout) }

// userJSON renders a user the way the deployment does: Data Center shows
// name/key/emailAddress; Cloud shows accountId and hides the email.
func (f *Fake) userJSON(u *User) map[string]any {
	if u == nil {
		return nil
	}
	m := map[string]any{"displayName": u.DisplayName, "active": true, "timeZone": "UTC"}
	if f.cloud {
		m["self"] = f.baseURL + "/rest/api/2/user?accountId=" + u.AccountID
		m["accountId"] = u.AccountID
		m["accountType"] = "atlassian"
		if !f.hideEmail || u.EmailVisible {
			m["emailAddress"] = u.Email
		}
		if u.Bot {
			m["accountType"] = "app"
		}
		return m
	}
	m["self"] = f.baseURL + "/rest/api/2/user?username=" + u.Name
	m["name"] = u.Name
	m["key"] = strings.ToLower(u.Name)
	m["emailAddress"] = u.Email
	return m
}

func (f *Fake) statusJSON(s Status) map[string]any {
	names := map[string]string{"new": "To Do", "indeterminate": "In Progress", "done": "Done"}
	ids := map[string]int{"new": 2, "indeterminate": 4, "done": 3}
	return map[string]any{
		"self": f.baseURL + "/rest/api/2/status/" + s.ID, "id": s.ID, "name": s.Name,
		"statusCategory": map[string]any{"id": ids[s.Category], "key": s.Category, "name": names[s.Category]},
	}
}

// fieldFilter says which fields a request asked for.
type fieldFilter struct {
	all, navigable, idOnly bool
	want, exclude          map[string]bool
}

// parseFields reads fields=… (possibly repeated, comma-separated). def
// applies when the parameter is absent: "*all" for GET issue, "*navigable"
// for the v2 search, "id" for the Cloud search/jql.
func parseFields(values []string, def string) fieldFilter {
	if len(values) == 0 {
		values = []string{def}
	}
	ff := fieldFilter{want: map[string]bool{}, exclude: map[string]bool{}}
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			switch {
			case p == "*all":
				ff.all = true
			case p == "*navigable":
				ff.navigable = true
			case p == "id":
				ff.idOnly = true
			case strings.HasPrefix(p, "-"):
				ff.exclude[p[1:]] = true
			case p != "":
				ff.want[p] = true
			}
		}
	}
	if ff.all || ff.navigable || len(ff.want) > 0 {
		ff.idOnly = false
	}
	return ff
}

func (ff fieldFilter) has(name string) bool {
	if ff.exclude[name] {
		return false
	}
	if ff.all || ff.want[name] {
		return true
	}
	// comment is not a navigable field: search needs it asked for by name.
	return ff.navigable && name != "comment"
}

type renderOpts struct {
	v3        bool
	fields    fieldFilter
	changelog bool
	props     []string
}

// issueJSON renders an issue in the REST v2 (or v3) representation.
func (f *Fake) issueJSON(is *issue, o renderOpts) map[string]any {
	ver := "2"
	if o.v3 {
		ver = "3"
	}
	m := map[string]any{
		"expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
		"id":     is.id, "self": f.baseURL + "/rest/api/" + ver + "/issue/" + is.id, "key": is.key,
	}
	if o.fields.idOnly {
		delete(m, "expand")
		delete(m, "key")
		delete(m, "self")
		return m
	}
	m["fields"] = f.fieldsJSON(is, o)
	if o.changelog {
		m["changelog"] = f.changelogJSON(is)
	}
	if len(o.props) > 0 {
		props := map[string]any{}
		for _, p := range o.props {
			if v, ok := is.props[p]; ok {
				props[p] = v
			}
		}
		m["properties"] = props
	}
	return m
}

func (f *Fake) fieldsJSON(is *issue, o renderOpts) map[string]any {
	all := map[string]any{
		"summary":    is.summary,
		"issuetype":  map[string]any{"id": is.itype.id, "name": is.itype.name, "subtask": false},
		"project":    map[string]any{"id": is.project.id, "key": is.project.key, "name": is.project.name},
		"status":     f.statusJSON(is.status),
		"reporter":   f.userJSON(is.reporter),
		"creator":    f.userJSON(is.creator),
		"assignee":   nilIfEmpty(f.userJSON(is.assignee)),
		"labels":     nonNil(is.labels),
		"components": componentsJSON(is.components),
		"created":    jt(is.created),
		"updated":    jt(is.updated),
		"priority":   map[string]any{"id": priorityID(is.priority), "name": is.priority},
	}
	if o.v3 {
		all["description"] = adfFromText(is.description)
	} else {
		all["description"] = is.description
	}
	if is.description == "" {
		all["description"] = nil
	}
	for k, v := range is.custom {
		all[k] = v
	}
	all["comment"] = f.commentPage(is, 0, f.embedComments, o.v3)
	out := make(map[string]any, len(all))
	for k, v := range all {
		if o.fields.has(k) {
			out[k] = v
		}
	}
	return out
}

func (f *Fake) changelogJSON(is *issue) map[string]any {
	hs := make([]map[string]any, len(is.histories))
	for i, h := range is.histories {
		items := make([]map[string]any, len(h.items))
		for j, it := range h.items {
			items[j] = changeItemJSON(it)
		}
		hs[i] = map[string]any{"id": h.id, "author": f.userJSON(h.author), "created": jt(h.created), "items": items}
	}
	return map[string]any{"startAt": 0, "maxResults": len(hs), "total": len(hs), "histories": hs}
}

func changeItemJSON(it changeItem) map[string]any {
	m := map[string]any{"field": it.Field, "fieldtype": it.FieldType, "fieldId": it.Field,
		"from": nilIfBlank(it.From), "fromString": nilIfBlank(it.FromString),
		"to": nilIfBlank(it.To), "toString": nilIfBlank(it.ToString)}
	return m
}

func (f *Fake) commentJSON(is *issue, c *comment, v3 bool) map[string]any {
	ver := "2"
	var body any = c.body
	if v3 {
		ver = "3"
		body = c.adf
		if c.adf == nil {
			body = adfFromText(c.body)
		}
	}
	return map[string]any{
		"self": f.baseURL + "/rest/api/" + ver + "/issue/" + is.id + "/comment/" + c.id,
		"id":   c.id, "author": f.userJSON(c.author), "body": body,
		"updateAuthor": f.userJSON(c.updAuth), "created": jt(c.created), "updated": jt(c.updated),
	}
}

func (f *Fake) commentPage(is *issue, start, max int, v3 bool) map[string]any {
	cs := []map[string]any{}
	for i := start; i < len(is.comments) && len(cs) < max; i++ {
		cs = append(cs, f.commentJSON(is, is.comments[i], v3))
	}
	return map[string]any{"comments": cs, "maxResults": max, "total": len(is.comments), "startAt": start}
}

func componentsJSON(names []string) []map[string]any {
	out := make([]map[string]any, len(names))
	for i, n := range names {
		out[i] = map[string]any{"id": "1010" + string(rune('0'+i%10)), "name": n}
	}
	return out
}

func priorityID(p string) string {
	switch p {
	case "Highest":
		return "1"
	case "High":
		return "2"
	case "Low":
		return "4"
	case "Lowest":
		return "5"
	}
	return "3"
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nilIfEmpty(m map[string]any) any {
	if m == nil {
		return nil
	}
	return m
}

func nilIfBlank(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// adfFromText turns text into an ADF document, one paragraph per line.
func adfFromText(s string) json.RawMessage {
	var paras []map[string]any
	for _, line := range strings.Split(s, "\n") {
		p := map[string]any{"type": "paragraph"}
		if line != "" {
			p["content"] = []map[string]any{{"type": "text", "text": line}}
		}
		paras = append(paras, p)
	}
	b, _ := json.Marshal(map[string]any{"type": "doc", "version": 1, "content": paras})
	return b
}

// textFromADF flattens an ADF document to text as Jira's v2 API renders
// it (roughly): block nodes on their own lines, list items prefixed "* ",
// links as [text|url].
func textFromADF(doc json.RawMessage) (string, bool) {
	var n adfNode
	if json.Unmarshal(doc, &n) != nil || n.Type != "doc" {
		return "", false
	}
	var b strings.Builder
	n.write(&b, "")
	return strings.TrimRight(b.String(), "\n"), true
}

type adfNode struct {
	Type    string    `json:"type"`
	Text    string    `json:"text"`
	Content []adfNode `json:"content"`
	Marks   []struct {
		Type  string `json:"type"`
		Attrs struct {
			Href string `json:"href"`
		} `json:"attrs"`
	} `json:"marks"`
}

func (n adfNode) write(b *strings.Builder, prefix string) {
	switch n.Type {
	case "text":
		t := n.Text
		for _, m := range n.Marks {
			switch m.Type {
			case "strong":
				t = "*" + t + "*"
			case "link":
				t = "[" + t + "|" + m.Attrs.Href + "]"
			}
		}
		b.WriteString(t)
	case "hardBreak":
		b.WriteString("\n")
	case "listItem":
		b.WriteString(prefix)
		for _, c := range n.Content {
			c.writeInline(b)
		}
		b.WriteString("\n")
	case "bulletList":
		for _, c := range n.Content {
			c.write(b, "* ")
		}
	case "orderedList":
		for _, c := range n.Content {
			c.write(b, "# ")
		}
	default: // doc, paragraph, heading, …
		for _, c := range n.Content {
			c.write(b, prefix)
		}
		if n.Type != "doc" {
			b.WriteString("\n")
		}
	}
}

// writeInline writes a list item's paragraphs without extra newlines.
func (n adfNode) writeInline(b *strings.Builder) {
	if n.Type == "paragraph" {
		for _, c := range n.Content {
			c.write(b, "")
		}
		return
	}
	n.write(b, "")
}
