package jira

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/accessbridge/accessbridge/bridge"
)

// Create opens an issue of RequestType in the first watched project for
// an access request made elsewhere (Slack). Mapped custom fields are set
// per FieldTypes. On Data Center the reporter is set to the requester's
// username (the email's local part, or an AccountEmails entry) when
// possible; on Cloud the requester is named in the description, since
// the bridge cannot act as them.
//
// A POST that fails with 5xx may still have created the issue; the
// transport does not retry it, and callers should treat such errors as
// "maybe created" (the Slack flow shows the error rather than retrying).
func (s *Source) Create(ctx context.Context, req bridge.Request) (bridge.Ticket, error) {
	if req.Resource == "" || req.Requester == "" {
		return bridge.Ticket{}, permanent("create", "request needs a requester and a resource")
	}
	fields := map[string]any{
		"project":     map[string]string{"key": s.cfg.Projects[0]},
		"issuetype":   map[string]string{"name": s.cfg.RequestType},
		"summary":     summaryOf(req),
		"description": descriptionOf(req),
	}
	for name, val := range map[string]string{"resource": req.Resource, "role": req.Role, "duration": req.Duration,
		"subject": req.Subject, "justification": req.Justification} {
		if id := s.cfg.FieldMap[name]; id != "" && val != "" {
			if v, ok := s.fieldValue(name, val); ok {
				fields[id] = v
			}
		}
	}
	if !s.cloud {
		if u := s.usernameFor(req.Requester); u != "" {
			fields["reporter"] = map[string]string{"name": u}
		}
	}
	var out struct {
		Key string `json:"key"`
	}
	if _, err := s.call(ctx, "create", http.MethodPost, "rest/api/2/issue", map[string]any{"fields": fields}, &out); err != nil {
		return bridge.Ticket{}, err
	}
	s.log.Info("jira issue created", "key", out.Key, "channel", req.Channel)
	return s.Fetch(ctx, out.Key)
}

func summaryOf(r bridge.Request) string {
	parts := []string{"Access request:", r.Resource}
	if r.Role != "" {
		parts = append(parts, "("+r.Role+")")
	}
	if r.Subject != "" && !strings.EqualFold(r.Subject, r.Requester) {
		parts = append(parts, "for", r.Subject)
	}
	if r.Duration != "" {
		parts = append(parts, "for", r.Duration)
	}
	return strings.Join(parts, " ")
}

func descriptionOf(r bridge.Request) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Requested by %s", r.Requester)
	if r.Channel != "" {
		fmt.Fprintf(&b, " via %s", r.Channel)
	}
	b.WriteString(".\n")
	for _, kv := range [][2]string{{"Resource", r.Resource}, {"Role", r.Role}, {"Duration", r.Duration}, {"Subject", r.Subject}, {"Justification", r.Justification}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, "%s: %s\n", kv[0], kv[1])
		}
	}
	keys := make([]string, 0, len(r.Extra))
	for k := range r.Extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, r.Extra[k])
	}
	return strings.TrimRight(b.String(), "\n")
}

// fieldValue shapes a value for its custom field type.
func (s *Source) fieldValue(name, val string) (any, bool) {
	switch s.cfg.FieldTypes[name] {
	case "select":
		return map[string]string{"value": val}, true
	case "user":
		if s.cloud {
			if id := s.accountFor(val); id != "" {
				return map[string]string{"accountId": id}, true
			}
			return nil, false // unknown accountId: the description names the subject
		}
		return map[string]string{"name": s.usernameFor(val)}, true
	}
	return val, true
}

// accountFor finds an accountId for an email in AccountEmails.
func (s *Source) accountFor(email string) string {
	for id, e := range s.cfg.AccountEmails {
		if strings.EqualFold(e, email) {
			return id
		}
	}
	return ""
}

// usernameFor guesses a Data Center username for an email: an
// AccountEmails entry, else the local part.
func (s *Source) usernameFor(email string) string {
	if id := s.accountFor(email); id != "" {
		return id
	}
	local, _, _ := strings.Cut(email, "@")
	return local
}
