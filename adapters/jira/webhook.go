package jira

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
)

// Webhook verifies and parses one Jira webhook delivery.
// X-Hub-Signature (sha256=<hex HMAC of the raw body>) is checked before
// the body is parsed; without a WebhookSecret every delivery is refused,
// since an unauthenticated webhook could make the bridge act (polling
// still works). Without BotAccount the first delivery asks /myself who
// the bridge is (bounded by a short timeout).
func (s *Source) Webhook(r *http.Request, body []byte) ([]bridge.Event, error) {
	if s.cfg.WebhookSecret == "" {
		return nil, fmt.Errorf("jira: no webhook secret is configured (BRIDGE_JIRA_WEBHOOK_SECRET); deliveries are refused: %w", bridge.ErrUnauthorized)
	}
	if err := verifySignature(s.cfg.WebhookSecret.Reveal(), r.Header.Get("X-Hub-Signature"), body); err != nil {
		return nil, err
	}
	id := r.Header.Get("X-Atlassian-Webhook-Identifier")
	// The bridge's account (BOT_ACCOUNT, else /myself once) marks its own
	// changes ByBridge, so they trigger no evaluation.
	return ParseWebhook(body, id, s.mapping(r.Context()), s.watch())
}

// Watch selects the projects and issue types the bridge handles; empty
// lists accept all.
type Watch struct {
	Projects   []string
	IssueTypes []string
}

func (s *Source) watch() Watch { return Watch{Projects: s.cfg.Projects, IssueTypes: s.cfg.IssueTypes} }

func (w Watch) accepts(project, itype string) bool {
	eq := func(v string) func(string) bool { return func(x string) bool { return strings.EqualFold(x, v) } }
	return (len(w.Projects) == 0 || slices.ContainsFunc(w.Projects, eq(project))) &&
		(len(w.IssueTypes) == 0 || slices.ContainsFunc(w.IssueTypes, eq(itype)))
}

func verifySignature(secret, header string, body []byte) error {
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return fmt.Errorf("%w: missing or non-sha256 X-Hub-Signature", bridge.ErrUnauthorized)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return fmt.Errorf("%w: X-Hub-Signature is not hex", bridge.ErrUnauthorized)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return fmt.Errorf("%w: X-Hub-Signature does not match", bridge.ErrUnauthorized)
	}
	return nil
}

type webhookPayload struct {
	Timestamp int64        `json:"timestamp"`
	Event     string       `json:"webhookEvent"`
	Type      string       `json:"issue_event_type_name"`
	User      *wireUser    `json:"user"`
	Issue     *wireIssue   `json:"issue"`
	Comment   *wireComment `json:"comment"`
	Changelog *struct {
		Items []struct {
			Field      string `json:"field"`
			FromString string `json:"fromString"`
			ToString   string `json:"toString"`
		} `json:"items"`
	} `json:"changelog"`
}

// ParseWebhook turns a verified delivery body into events. deliveryID is
// X-Atlassian-Webhook-Identifier; when empty a hash of the body is used.
// Errors wrap bridge.ErrMalformed or bridge.ErrIgnored.
func ParseWebhook(body []byte, deliveryID string, m Mapping, w Watch) ([]bridge.Event, error) {
	var p webhookPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("%w: jira webhook: %v", bridge.ErrMalformed, jsonErr(err))
	}
	if p.Event == "" || p.Issue == nil || p.Issue.Key == "" {
		return nil, fmt.Errorf("%w: jira webhook: no webhookEvent or issue key", bridge.ErrMalformed)
	}
	var project, itype named
	_ = json.Unmarshal(p.Issue.Fields["project"], &project)
	_ = json.Unmarshal(p.Issue.Fields["issuetype"], &itype)
	if !w.accepts(project.Key, itype.Name) {
		return nil, fmt.Errorf("%w: jira project %q / issue type %q not watched", bridge.ErrIgnored, project.Key, itype.Name)
	}
	kind, tr, err := classifyEvent(&p)
	if err != nil {
		return nil, err
	}
	if deliveryID == "" {
		h := sha256.Sum256(body)
		deliveryID = "sha256:" + hex.EncodeToString(h[:16])
	}
	ev := bridge.Event{Source: "jira", DeliveryID: deliveryID, Key: p.Issue.Key, Kind: kind, Transition: tr}
	if p.Timestamp > 0 {
		ev.At = time.UnixMilli(p.Timestamp).UTC()
	}
	var updated string
	_ = json.Unmarshal(p.Issue.Fields["updated"], &updated)
	ev.Revision = updated
	if at, err := parseTime(updated); err == nil && !at.IsZero() {
		// Poll's form: a webhook and a poll that saw the same revision
		// then ask for one evaluation, not two.
		ev.Revision = at.Format(time.RFC3339Nano)
	}
	actor := p.User
	if actor == nil && p.Comment != nil {
		actor = &p.Comment.Author
	}
	if actor != nil {
		ev.Actor = bridge.Actor{ID: actor.id(), Email: m.email(*actor), Name: actor.DisplayName}
		ev.ByBridge = m.isBot(*actor)
	}
	if p.Comment != nil && strings.Contains(string(p.Comment.Body), markerOpen) {
		ev.ByBridge = true
	}
	return []bridge.Event{ev}, nil
}

func classifyEvent(p *webhookPayload) (string, *bridge.Transition, error) {
	switch p.Event {
	case "jira:issue_created":
		return bridge.EventCreated, nil, nil
	case "jira:issue_deleted":
		return bridge.EventDeleted, nil, nil
	case "comment_created", "comment_updated":
		return bridge.EventCommented, nil, nil
	case "jira:issue_updated":
		if p.Changelog != nil {
			for _, it := range p.Changelog.Items {
				if it.Field == "status" {
					return bridge.EventTransitioned, &bridge.Transition{From: it.FromString, To: it.ToString}, nil
				}
			}
		}
		if p.Comment != nil {
			return bridge.EventCommented, nil, nil
		}
		return bridge.EventUpdated, nil, nil
	}
	return "", nil, fmt.Errorf("%w: jira webhook event %q", bridge.ErrIgnored, p.Event)
}
