package jira

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	jira "github.com/andygrunwald/go-jira"

	"github.com/accessbridge/accessbridge/policy"
)

// Mapping turns Jira issues into tickets.
type Mapping struct {
	BaseURL       string            // browse links: <BaseURL>/browse/<key>
	FieldMap      map[string]string // ticket field name → customfield id
	AccountEmails map[string]string // accountId or username → email, when Jira hides emails
	BotAccount    string            // the bridge's accountId / username / email
}

// UnmappedRequester is the Ticket.Fields key that records why the
// requester has no email (Cloud hides it and AccountEmails lacks it).
const UnmappedRequester = "_requester_unmapped"

// DecodeIssue normalizes a GET /rest/api/2/issue body (v3 bodies with ADF
// descriptions are accepted too).
func DecodeIssue(data []byte, m Mapping) (policy.Ticket, error) {
	var w wireIssue
	if err := json.Unmarshal(data, &w); err != nil {
		return policy.Ticket{}, fmt.Errorf("jira: issue: %w", jsonErr(err))
	}
	return m.fromWire(&w)
}

// LooksLikeIssue reports whether data is a single Jira issue object.
func LooksLikeIssue(data []byte) bool {
	var probe struct {
		Key    string          `json:"key"`
		Fields json.RawMessage `json:"fields"`
	}
	if json.Unmarshal(data, &probe) != nil {
		return false
	}
	return probe.Key != "" && len(probe.Fields) > 0 && probe.Fields[0] == '{'
}

// Ticket normalizes an issue decoded by go-jira.
func (m Mapping) Ticket(issue *jira.Issue) (policy.Ticket, error) {
	if issue == nil {
		return policy.Ticket{}, errors.New("jira: nil issue")
	}
	w, err := wireFromGoJira(issue)
	if err != nil {
		return policy.Ticket{}, err
	}
	return m.fromWire(w)
}

// wireIssue is the part of an issue the bridge reads. fields is kept raw
// and picked apart lazily: an issue can carry hundreds of fields.
type wireIssue struct {
	ID     string                     `json:"id"`
	Key    string                     `json:"key"`
	Fields map[string]json.RawMessage `json:"fields"`
}

type wireUser struct {
	AccountID    string `json:"accountId"`
	Name         string `json:"name"`
	Key          string `json:"key"`
	EmailAddress string `json:"emailAddress"`
	DisplayName  string `json:"displayName"`
}

// id is the most stable identifier the deployment exposes.
func (u wireUser) id() string {
	if u.AccountID != "" {
		return u.AccountID
	}
	return u.Name
}

type wireComment struct {
	ID      string    `json:"id"`
	Author  wireUser  `json:"author"`
	Body    textOrADF `json:"body"`
	Created string    `json:"created"`
}

type wireComments struct {
	Comments []wireComment `json:"comments"`
	Total    int           `json:"total"`
}

type named struct {
	Name  string `json:"name"`
	Key   string `json:"key"`
	Value string `json:"value"`
}

// textOrADF holds a v2 string or the text of a v3 ADF document.
type textOrADF string

func (t *textOrADF) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0 || string(b) == "null":
		*t = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = textOrADF(s)
	case b[0] == '{':
		s, err := adfText(b)
		if err != nil {
			return err
		}
		*t = textOrADF(s)
	default:
		return errors.New("want a string or an ADF document")
	}
	return nil
}

func (m Mapping) fromWire(w *wireIssue) (policy.Ticket, error) {
	if w.Key == "" {
		return policy.Ticket{}, errors.New("jira: issue without key")
	}
	t := policy.Ticket{Source: "jira", Key: w.Key, ID: w.ID, Fields: map[string]string{}}
	if m.BaseURL != "" {
		t.URL = m.BaseURL + "/browse/" + w.Key
	}
	if err := m.fillFields(&t, w.Fields); err != nil {
		return policy.Ticket{}, fmt.Errorf("jira: issue %s: %w", w.Key, err)
	}
	if len(t.Fields) == 0 {
		t.Fields = nil
	}
	return t, nil
}

// fillFields decodes the standard fields, then the mapped custom fields.
func (m Mapping) fillFields(t *policy.Ticket, f map[string]json.RawMessage) error {
	var project, itype, status, priority named
	var desc textOrADF
	var reporter, assignee wireUser
	var comps []named
	var created, updated string
	var comments wireComments
	for _, d := range []struct {
		name string
		dst  any
	}{
		{"summary", &t.Summary}, {"description", &desc}, {"project", &project}, {"issuetype", &itype},
		{"status", &status}, {"priority", &priority}, {"reporter", &reporter}, {"assignee", &assignee},
		{"labels", &t.Labels}, {"components", &comps}, {"created", &created}, {"updated", &updated},
		{"comment", &comments},
	} {
		if raw, ok := f[d.name]; ok && !isNull(raw) {
			if err := json.Unmarshal(raw, d.dst); err != nil {
				return fmt.Errorf("field %s: %w", d.name, jsonErr(err))
			}
		}
	}
	t.Description, t.Project, t.Type, t.Status, t.Priority = string(desc), project.Key, itype.Name, status.Name, priority.Name
	for _, c := range comps {
		t.Components = append(t.Components, c.Name)
	}
	var err error
	if t.Created, err = parseTime(created); err != nil {
		return fmt.Errorf("field created: %w", err)
	}
	if t.Updated, err = parseTime(updated); err != nil {
		return fmt.Errorf("field updated: %w", err)
	}
	if reporter.id() != "" || reporter.EmailAddress != "" {
		if t.Requester = m.email(reporter); t.Requester == "" {
			t.Fields[UnmappedRequester] = "no email for Jira user " + reporter.id() + " (Cloud hides emails: add it to ACCOUNT_EMAILS)"
		}
	}
	t.Assignee = m.email(assignee)
	if err := m.customFields(t, f); err != nil {
		return err
	}
	return m.comments(t, comments.Comments)
}

func (m Mapping) customFields(t *policy.Ticket, f map[string]json.RawMessage) error {
	for name, id := range m.FieldMap {
		raw, ok := f[id]
		if !ok || isNull(raw) {
			continue
		}
		v, err := m.flatten(raw)
		if err != nil {
			return fmt.Errorf("field %s (%s): %w", name, id, err)
		}
		if v == "" {
			continue
		}
		t.Fields[name] = v
		if name == "subject" {
			t.Subject = v
		}
	}
	return nil
}

func (m Mapping) comments(t *policy.Ticket, cs []wireComment) error {
	for i, c := range cs {
		at, err := parseTime(c.Created)
		if err != nil {
			return fmt.Errorf("comment %d (%s): %w", i, c.ID, err)
		}
		t.Comments = append(t.Comments, policy.Comment{
			ID: c.ID, Author: m.email(c.Author), AuthorID: c.Author.id(), Body: string(c.Body),
			Created: at, ByBridge: m.isBot(c.Author) || strings.Contains(string(c.Body), markerOpen),
		})
	}
	return nil
}

// email is the directory email of a Jira user: emailAddress (Data Center,
// or Cloud users who show it), else AccountEmails.
func (m Mapping) email(u wireUser) string {
	if u.EmailAddress != "" {
		return strings.ToLower(u.EmailAddress)
	}
	for _, k := range []string{u.AccountID, u.Name, u.Key} {
		if e, ok := m.AccountEmails[k]; ok && k != "" {
			return strings.ToLower(e)
		}
	}
	return ""
}

func (m Mapping) isBot(u wireUser) bool {
	b := m.BotAccount
	return b != "" && (u.AccountID == b || strings.EqualFold(u.Name, b) || strings.EqualFold(u.EmailAddress, b))
}

// flatten turns a custom field value into a string: selects → value,
// users → email, arrays joined by ",", cascading selects → "parent/child".
func (m Mapping) flatten(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	switch raw[0] {
	case '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return "", err
		}
		out := make([]string, 0, len(items))
		for _, it := range items {
			if isNull(it) {
				continue
			}
			v, err := m.flatten(it)
			if err != nil {
				return "", err
			}
			if v != "" {
				out = append(out, v)
			}
		}
		return strings.Join(out, ","), nil
	case '{':
		return m.flattenObject(raw)
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String(), nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return "", errors.New("unsupported value")
	}
	return strconv.FormatBool(b), nil
}

func (m Mapping) flattenObject(raw json.RawMessage) (string, error) {
	var o struct {
		wireUser
		Value string `json:"value"`
		Child *struct {
			Value string `json:"value"`
		} `json:"child"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return "", err
	}
	switch {
	case o.Type == "doc":
		return adfText(raw)
	case o.Value != "" && o.Child != nil:
		return o.Value + "/" + o.Child.Value, nil
	case o.Value != "":
		return o.Value, nil
	case o.AccountID != "" || o.EmailAddress != "" || o.Key != "":
		return m.email(o.wireUser), nil
	case o.Name != "":
		return o.Name, nil
	}
	return "", nil
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// Jira writes "2024-05-01T10:15:30.000+0000"; exports and webhooks from
// other tools may use RFC 3339.
var timeLayouts = []string{"2006-01-02T15:04:05.999-0700", time.RFC3339Nano, "2006-01-02T15:04:05-07:00", "2006-01-02"}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognized time %q", s)
}

// wireFromGoJira converts go-jira's decoded issue to the wire form.
func wireFromGoJira(is *jira.Issue) (*wireIssue, error) {
	w := &wireIssue{ID: is.ID, Key: is.Key, Fields: map[string]json.RawMessage{}}
	if is.Fields == nil {
		return w, nil
	}
	f := is.Fields
	put := func(k string, v any) {
		if b, err := json.Marshal(v); err == nil {
			w.Fields[k] = b
		}
	}
	put("summary", f.Summary)
	put("description", f.Description)
	put("project", named{Key: f.Project.Key, Name: f.Project.Name})
	put("issuetype", named{Name: f.Type.Name})
	put("labels", f.Labels)
	put("created", jiraTime(time.Time(f.Created)))
	put("updated", jiraTime(time.Time(f.Updated)))
	if f.Status != nil {
		put("status", named{Name: f.Status.Name})
	}
	if f.Priority != nil {
		put("priority", named{Name: f.Priority.Name})
	}
	if f.Reporter != nil {
		put("reporter", userWire(*f.Reporter))
	}
	if f.Assignee != nil {
		put("assignee", userWire(*f.Assignee))
	}
	comps := make([]named, 0, len(f.Components))
	for _, c := range f.Components {
		comps = append(comps, named{Name: c.Name})
	}
	put("components", comps)
	if f.Comments != nil {
		var cs wireComments
		for _, c := range f.Comments.Comments {
			cs.Comments = append(cs.Comments, wireComment{ID: c.ID, Author: userWire(c.Author), Body: textOrADF(c.Body), Created: c.Created})
		}
		put("comment", struct {
			Comments []wireCommentOut `json:"comments"`
		}{commentsOut(cs.Comments)})
	}
	for k, v := range f.Unknowns {
		put(k, v)
	}
	return w, nil
}

type wireCommentOut struct {
	ID      string   `json:"id"`
	Author  wireUser `json:"author"`
	Body    string   `json:"body"`
	Created string   `json:"created"`
}

func commentsOut(cs []wireComment) []wireCommentOut {
	out := make([]wireCommentOut, len(cs))
	for i, c := range cs {
		out[i] = wireCommentOut{c.ID, c.Author, string(c.Body), c.Created}
	}
	return out
}

func userWire(u jira.User) wireUser {
	return wireUser{AccountID: u.AccountID, Name: u.Name, Key: u.Key, EmailAddress: u.EmailAddress, DisplayName: u.DisplayName}
}

// jiraTime formats like Jira ("" for the zero time).
func jiraTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000-0700")
}

// jsonErr adds the byte offset to JSON syntax and type errors.
func jsonErr(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("at byte %d: %w", se.Offset, err)
	case errors.As(err, &te):
		return fmt.Errorf("at byte %d: %w", te.Offset, err)
	}
	return err
}
