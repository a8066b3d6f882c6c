package jirafake

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// The helpers below let tests act as people in the Jira UI. actor is an
// accountId, username or email of a known user.

// CreateIssue creates an issue from create-issue fields, e.g.
// {"project":"ACC","issuetype":"Access Request","summary":"…",
// "customfield_10050":{"value":"prod-db"}}. project and issuetype may be
// plain strings. The actor becomes the reporter unless "reporter" is set.
func (f *Fake) CreateIssue(actor string, fields map[string]any) (string, error) {
	raw, err := rawFields(fields)
	if err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	u, err := f.mustUser(actor)
	if err != nil {
		return "", err
	}
	if _, ok := raw["issuetype"]; !ok {
		raw["issuetype"] = json.RawMessage(`"Access Request"`)
	}
	is, e := f.create(u, raw, false)
	if e != nil {
		return "", e
	}
	return is.key, nil
}

// Transition moves an issue to the status named toStatus through a
// transition valid from its current status.
func (f *Fake) Transition(actor, key, toStatus string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, err := f.mustUser(actor)
	if err != nil {
		return err
	}
	is := f.issueByRef(key)
	if is == nil {
		return fmt.Errorf("jirafake: no issue %s", key)
	}
	for _, t := range f.workflow.available(is.status.Name) {
		if strings.EqualFold(t.To, toStatus) {
			f.transition(u, is, t)
			return nil
		}
	}
	return fmt.Errorf("jirafake: no transition from %q to %q", is.status.Name, toStatus)
}

// AddComment adds a (wiki markup / plain text) comment and returns its id.
func (f *Fake) AddComment(actor, key, body string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, err := f.mustUser(actor)
	if err != nil {
		return "", err
	}
	is := f.issueByRef(key)
	if is == nil {
		return "", fmt.Errorf("jirafake: no issue %s", key)
	}
	return f.addComment(u, is, body, nil).id, nil
}

// DeleteComment deletes a comment as its author or an admin would in the
// UI. Jira fires comment_deleted; the fake sends no webhook for it.
func (f *Fake) DeleteComment(key, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	is := f.issueByRef(key)
	if is == nil {
		return fmt.Errorf("jirafake: no issue %s", key)
	}
	n := len(is.comments)
	is.comments = slices.DeleteFunc(is.comments, func(c *comment) bool { return c.id == id })
	if len(is.comments) == n {
		return fmt.Errorf("jirafake: no comment %s on %s", id, key)
	}
	is.updated = f.tick()
	return nil
}

// EditIssue applies edit-issue fields (as in PUT /issue "fields").
func (f *Fake) EditIssue(actor, key string, fields map[string]any) error {
	raw, err := rawFields(fields)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	u, err := f.mustUser(actor)
	if err != nil {
		return err
	}
	is := f.issueByRef(key)
	if is == nil {
		return fmt.Errorf("jirafake: no issue %s", key)
	}
	if e := f.edit(u, is, raw, nil, false); e != nil {
		return e
	}
	return nil
}

// SetProperty sets an issue property as an app or admin would.
func (f *Fake) SetProperty(key, prop string, value json.RawMessage) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	is := f.issueByRef(key)
	if is == nil {
		return fmt.Errorf("jirafake: no issue %s", key)
	}
	is.props[prop] = value
	return nil
}

func (f *Fake) mustUser(ref string) (*User, error) {
	if u := f.user(ref); u != nil {
		return u, nil
	}
	return nil, fmt.Errorf("jirafake: unknown user %q", ref)
}

func rawFields(fields map[string]any) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(fields))
	for k, v := range fields {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("jirafake: field %s: %w", k, err)
		}
		out[k] = b
	}
	return out, nil
}
