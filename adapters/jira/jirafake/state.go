package jirafake

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// User is a Jira user. Token authenticates the user (Cloud API token or
// Data Center personal access token).
type User struct {
	AccountID    string
	Name         string // Data Center username
	Email        string
	DisplayName  string
	Token        string
	EmailVisible bool // Cloud: show emailAddress despite the default privacy setting
	Bot          bool // the bridge's account, for DuplicateComments
}

// Status is one workflow status.
type Status struct {
	ID       string
	Name     string
	Category string // new, indeterminate, done
}

// WorkflowTransition moves an issue from any of From (status names; empty
// = from every status) to To.
type WorkflowTransition struct {
	ID   string
	Name string
	From []string
	To   string
}

// Workflow is the statuses and transitions every project uses.
type Workflow struct {
	Initial     string
	Statuses    []Status
	Transitions []WorkflowTransition
}

// DefaultWorkflow is Open → Waiting for approval → Approved → In Progress →
// Done, plus Declined, with ways back ("Back to waiting", "Reopen", …).
// "Start progress" is also available from Open, so an agent can skip the
// approval — the transition the bridge reverts.
func DefaultWorkflow() Workflow {
	return Workflow{
		Initial: "Open",
		Statuses: []Status{
			{"1", "Open", "new"},
			{"10001", "Waiting for approval", "indeterminate"},
			{"10002", "Approved", "indeterminate"},
			{"3", "In Progress", "indeterminate"},
			{"10003", "Done", "done"},
			{"10004", "Declined", "done"},
		},
		Transitions: []WorkflowTransition{
			{"11", "Request approval", []string{"Open"}, "Waiting for approval"},
			{"21", "Approve", []string{"Waiting for approval"}, "Approved"},
			{"31", "Start progress", []string{"Open", "Approved"}, "In Progress"},
			{"41", "Done", []string{"In Progress"}, "Done"},
			{"51", "Decline", []string{"Open", "Waiting for approval"}, "Declined"},
			{"61", "Back to waiting", []string{"Approved", "In Progress"}, "Waiting for approval"},
			{"71", "Reopen", []string{"Done", "Declined"}, "Open"},
			{"81", "Back to open", []string{"Waiting for approval", "In Progress"}, "Open"},
		},
	}
}

// OneWayWorkflow has the default statuses but no way back from any of them.
func OneWayWorkflow() Workflow {
	w := DefaultWorkflow()
	w.Transitions = []WorkflowTransition{
		{"11", "Request approval", []string{"Open"}, "Waiting for approval"},
		{"21", "Approve", []string{"Waiting for approval"}, "Approved"},
		{"31", "Start progress", []string{"Open", "Approved"}, "In Progress"},
		{"41", "Done", []string{"In Progress"}, "Done"},
	}
	return w
}

func (w Workflow) status(name string) (Status, bool) {
	for _, s := range w.Statuses {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
	}
	return Status{}, false
}

// available lists the transitions valid from status.
func (w Workflow) available(status string) []WorkflowTransition {
	var out []WorkflowTransition
	for _, t := range w.Transitions {
		if len(t.From) == 0 || slices.ContainsFunc(t.From, func(s string) bool { return strings.EqualFold(s, status) }) {
			out = append(out, t)
		}
	}
	return out
}

type project struct {
	id    string
	key   string
	name  string
	types []issueType
}

type issueType struct{ id, name string }

var defaultTypes = []issueType{{"10002", "Access Request"}, {"10003", "Task"}, {"10004", "Bug"}}

type comment struct {
	id      string
	author  *User
	body    string          // v2 / wiki markup text
	adf     json.RawMessage // set when posted through v3
	created time.Time
	updated time.Time
	updAuth *User
}

type changeItem struct {
	Field, FieldType, From, FromString, To, ToString string
}

type history struct {
	id      string
	author  *User
	created time.Time
	items   []changeItem
}

type issue struct {
	id          string
	key         string
	project     *project
	itype       issueType
	summary     string
	description string
	status      Status
	reporter    *User
	assignee    *User
	creator     *User
	labels      []string
	components  []string
	priority    string
	custom      map[string]json.RawMessage
	comments    []*comment
	props       map[string]json.RawMessage
	created     time.Time
	updated     time.Time
	histories   []history
	transitions []TransitionRecord
}

// Issue is a snapshot of an issue's state.
type Issue struct {
	ID, Key, Project, Type, Summary, Description, Status string
	Reporter, Assignee                                   string // accountIds
	Labels, Components                                   []string
	Priority                                             string
	Custom                                               map[string]json.RawMessage
	Properties                                           map[string]json.RawMessage
	Comments                                             []Comment
	Created, Updated                                     time.Time
}

// Comment is a snapshot of a comment.
type Comment struct {
	ID, Author, Body string // Author is the accountId; Body the v2 text
	ADF              bool   // posted through v3
	Created, Updated time.Time
}

// TransitionRecord is one executed transition.
type TransitionRecord struct {
	ID, Name, From, To string
	Actor              string // accountId
	At                 time.Time
}

func (f *Fake) addUser(u User) {
	if u.AccountID == "" {
		u.AccountID = "557058:" + strings.ToLower(u.Name)
	}
	if u.Name == "" {
		u.Name = strings.SplitN(u.Email, "@", 2)[0]
	}
	if u.DisplayName == "" {
		u.DisplayName = u.Name
	}
	f.users = append(f.users, &u)
}

// AddUser adds a user at run time.
func (f *Fake) AddUser(u User) { f.mu.Lock(); f.addUser(u); f.mu.Unlock() }

func (f *Fake) addProject(key string) {
	f.projects[key] = &project{id: strconv.Itoa(10000 + len(f.projects)), key: key, name: key + " project", types: defaultTypes}
}

// user finds a user by accountId, username or email.
func (f *Fake) user(ref string) *User {
	if ref == "" {
		return nil
	}
	for _, u := range f.users {
		if u.AccountID == ref || strings.EqualFold(u.Name, ref) || strings.EqualFold(u.Email, ref) {
			return u
		}
	}
	return nil
}

func (f *Fake) issueByRef(ref string) *issue {
	if is, ok := f.issues[strings.ToUpper(ref)]; ok {
		return is
	}
	return f.byID[ref]
}

func (f *Fake) newID() string { f.nextObj++; return strconv.Itoa(f.nextObj) }

// Issue returns a snapshot of the issue, false when absent.
func (f *Fake) Issue(key string) (Issue, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	is := f.issueByRef(key)
	if is == nil {
		return Issue{}, false
	}
	s := Issue{
		ID: is.id, Key: is.key, Project: is.project.key, Type: is.itype.name, Summary: is.summary,
		Description: is.description, Status: is.status.Name, Labels: slices.Clone(is.labels),
		Components: slices.Clone(is.components), Priority: is.priority, Custom: maps.Clone(is.custom),
		Properties: maps.Clone(is.props), Created: is.created, Updated: is.updated,
	}
	if is.reporter != nil {
		s.Reporter = is.reporter.AccountID
	}
	if is.assignee != nil {
		s.Assignee = is.assignee.AccountID
	}
	s.Comments = snapshotComments(is.comments)
	return s, true
}

// Comments returns snapshots of an issue's comments, oldest first.
func (f *Fake) Comments(key string) []Comment {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if is := f.issueByRef(key); is != nil {
		return snapshotComments(is.comments)
	}
	return nil
}

func snapshotComments(cs []*comment) []Comment {
	out := make([]Comment, len(cs))
	for i, c := range cs {
		out[i] = Comment{ID: c.id, Author: c.author.AccountID, Body: c.body, ADF: c.adf != nil, Created: c.created, Updated: c.updated}
	}
	return out
}

// Transitions returns the executed transitions of an issue with their actors.
func (f *Fake) Transitions(key string) []TransitionRecord {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if is := f.issueByRef(key); is != nil {
		return slices.Clone(is.transitions)
	}
	return nil
}

// Change is a snapshot of one changelog entry.
type Change struct {
	ID, Author string // Author is the accountId
	At         time.Time
	Items      []ChangeItem
}

// ChangeItem is one field change, as in the changelog's items.
type ChangeItem struct {
	Field, From, FromString, To, ToString string
}

// History returns the changelog of an issue, oldest first.
func (f *Fake) History(key string) []Change {
	f.mu.RLock()
	defer f.mu.RUnlock()
	is := f.issueByRef(key)
	if is == nil {
		return nil
	}
	out := make([]Change, len(is.histories))
	for i, h := range is.histories {
		c := Change{ID: h.id, Author: h.author.AccountID, At: h.created}
		for _, it := range h.items {
			c.Items = append(c.Items, ChangeItem{it.Field, it.From, it.FromString, it.To, it.ToString})
		}
		out[i] = c
	}
	return out
}

// Keys lists issue keys in creation order.
func (f *Fake) Keys() []string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]string, len(f.order))
	for i, is := range f.order {
		out[i] = is.key
	}
	return out
}

// DuplicateComments counts, per issue, the extra comments the bridge's
// account posted with the same marker (the first ⟦…⟧ token's first two
// words, e.g. "⟦accessbridge evidence") or, without a marker, the same
// body. Zero everywhere means no duplicate ever reached Jira.
func (f *Fake) DuplicateComments() map[string]int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := map[string]int{}
	for _, is := range f.order {
		seen := map[string]bool{}
		for _, c := range is.comments {
			if !c.author.Bot {
				continue
			}
			k := commentGroup(c.body)
			if seen[k] {
				out[is.key]++
			}
			seen[k] = true
		}
	}
	return out
}

func commentGroup(body string) string {
	i := strings.Index(body, "⟦")
	if i < 0 {
		return body
	}
	rest := body[i:]
	if j := strings.Index(rest, "⟧"); j >= 0 {
		rest = rest[:j]
	}
	words := strings.Fields(rest)
	if len(words) > 1 && words[1] == "evidence" {
		return strings.Join(words[:2], " ")
	}
	return strings.Join(words, " ")
}
