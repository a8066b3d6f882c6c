package jira

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/accessbridge/accessbridge/bridge"
)

// PropertyKey is the issue property holding machine-readable evidence.
const PropertyKey = "accessbridge.evidence"

// maxProperty is Jira's limit on an issue property value.
const maxProperty = 32768

// Apply performs one action. Every kind is safe to repeat: comments are
// found by marker before anything is posted, labels and properties are
// set to a state, a revert re-reads the status first.
func (s *Source) Apply(ctx context.Context, a bridge.Action) (bridge.ActionResult, error) {
	key := a.Ticket.Key
	if err := checkKey(a.Kind, key); err != nil {
		return bridge.ActionResult{}, err
	}
	switch a.Kind {
	case bridge.ActionComment:
		return s.upsertComment(ctx, key, s.withEvidenceLink(key, a.Body))
	case bridge.ActionReply:
		return s.reply(ctx, key, a.Digest, a.Body)
	case bridge.ActionLabel:
		return s.setLabels(ctx, key, a.Labels)
	case bridge.ActionProperty:
		return s.setProperty(ctx, key, a.Property)
	case bridge.ActionRevert:
		if a.Revert == nil {
			return bridge.ActionResult{}, permanent(a.Kind, "revert without from/to")
		}
		return s.revert(ctx, key, *a.Revert)
	}
	return bridge.ActionResult{}, permanent(a.Kind, "unknown action kind")
}

func permanent(op, msg string) error {
	return &bridge.UpstreamError{Op: op, Reason: "bad_request", Err: fmt.Errorf("%w: %s", bridge.ErrPermanent, msg)}
}

func (s *Source) withEvidenceLink(key, body string) string {
	if s.cfg.EvidenceURL == "" {
		return body
	}
	link := strings.TrimRight(s.cfg.EvidenceURL, "/") + "/v1/tickets/jira/" + key
	if strings.Contains(body, link) {
		return body
	}
	return strings.TrimRight(body, "\n") + "\n[Evidence](" + link + ")"
}

// ownComment is the bridge's evidence comment as last seen.
type ownComment struct{ id, marker string }

// upsertComment keeps exactly one evidence comment: PUT when the body
// changed, POST only when none exists. The comment id is cached; a miss
// or a stale id falls back to listing the issue's comments.
func (s *Source) upsertComment(ctx context.Context, key, body string) (bridge.ActionResult, error) {
	marker := evidenceMarker(body)
	if v, ok := s.comments.Load(key); ok {
		c := v.(ownComment)
		if c.marker == marker {
			return bridge.ActionResult{ID: c.id, Detail: "unchanged"}, nil
		}
		err := s.putComment(ctx, key, c.id, body, marker)
		if err == nil {
			s.comments.Store(key, ownComment{c.id, marker})
			return bridge.ActionResult{ID: c.id, Detail: "updated"}, nil
		}
		s.comments.Delete(key)
		if !notFoundOrForbidden(err) {
			return bridge.ActionResult{}, err
		}
	}
	found, err := s.findOwn(ctx, key, isEvidenceMarker)
	if err != nil {
		return bridge.ActionResult{}, err
	}
	if found != nil {
		if found.marker == marker {
			s.comments.Store(key, *found)
			return bridge.ActionResult{ID: found.id, Detail: "unchanged"}, nil
		}
		if err := s.putComment(ctx, key, found.id, body, marker); err != nil {
			return bridge.ActionResult{}, err
		}
		s.comments.Store(key, ownComment{found.id, marker})
		return bridge.ActionResult{ID: found.id, Detail: "updated"}, nil
	}
	id, err := s.postComment(ctx, key, body, marker)
	if err != nil {
		return bridge.ActionResult{}, err
	}
	s.comments.Store(key, ownComment{id, marker})
	return bridge.ActionResult{ID: id, Detail: "created"}, nil
}

func notFoundOrForbidden(err error) bool {
	var ue *bridge.UpstreamError
	return errors.As(err, &ue) && (ue.Status == http.StatusNotFound || ue.Status == http.StatusForbidden)
}

// reply posts a new comment unless one with the same digest and body
// marker exists (a retried reply finds the first).
func (s *Source) reply(ctx context.Context, key, digest, body string) (bridge.ActionResult, error) {
	marker := replyMarker(digest, body)
	found, err := s.findOwn(ctx, key, func(tok string) bool { return tok == marker })
	if err != nil {
		return bridge.ActionResult{}, err
	}
	if found != nil {
		return bridge.ActionResult{ID: found.id, Detail: "exists"}, nil
	}
	id, err := s.postComment(ctx, key, body, marker)
	if err != nil {
		return bridge.ActionResult{}, err
	}
	return bridge.ActionResult{ID: id, Detail: "created"}, nil
}

// findOwn returns the oldest comment by the bridge's account whose marker
// satisfies match.
func (s *Source) findOwn(ctx context.Context, key string, match func(string) bool) (*ownComment, error) {
	bot, err := s.botAccount(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := s.listComments(ctx, key)
	if err != nil {
		return nil, err
	}
	m := Mapping{BotAccount: bot}
	for _, c := range cs {
		if tok := findMarker(string(c.Body)); tok != "" && match(tok) && m.isBot(c.Author) {
			return &ownComment{c.ID, tok}, nil
		}
	}
	return nil, nil
}

// botAccount is BotAccount, or the authenticated user asked once.
func (s *Source) botAccount(ctx context.Context) (string, error) {
	if s.cfg.BotAccount != "" {
		return s.cfg.BotAccount, nil
	}
	s.botMu.Lock()
	defer s.botMu.Unlock()
	if s.bot == "" {
		var me wireUser
		if _, err := s.call(ctx, "myself", http.MethodGet, "rest/api/2/myself", nil, &me); err != nil {
			return "", err
		}
		s.bot = me.id()
	}
	return s.bot, nil
}

// postComment adds a comment: ADF through v3 on Cloud, wiki markup
// through v2 on Data Center. It is never retried by the transport after
// a 5xx; the caller's job retry re-runs the upsert, which finds it.
func (s *Source) postComment(ctx context.Context, key, body, marker string) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	path, payload := s.commentRequest(key, "", body, marker)
	if _, err := s.call(ctx, "comment", http.MethodPost, path, payload, &out); err != nil {
		return "", err
	}
	return out.ID, nil
}

func (s *Source) putComment(ctx context.Context, key, id, body, marker string) error {
	path, payload := s.commentRequest(key, id, body, marker)
	_, err := s.call(ctx, "comment", http.MethodPut, path, payload, nil)
	return err
}

func (s *Source) commentRequest(key, id, body, marker string) (string, any) {
	suffix := "/comment"
	if id != "" {
		suffix += "/" + id
	}
	if s.cloud {
		return "rest/api/3/issue/" + key + suffix, map[string]any{"body": adfBody(body, marker)}
	}
	return "rest/api/2/issue/" + key + suffix, map[string]any{"body": wikiBody(body, marker)}
}

// Bridge-owned labels: the bridge adds and removes only these, plus
// whatever it is asked to set. Other labels (including a team's own
// "access-request") are never touched.
var verdictLabels = []string{"access-allowed", "access-pending", "access-denied", "access-not_applicable", "access-error", "access-policy-violation"}

func ownedLabel(l string) bool {
	return strings.HasPrefix(l, "identity-impact-") || slices.Contains(verdictLabels, l)
}

// setLabels makes the issue carry exactly want among the bridge's labels.
func (s *Source) setLabels(ctx context.Context, key string, want []string) (bridge.ActionResult, error) {
	for _, l := range want {
		if l == "" || strings.ContainsAny(l, " \t\n") {
			return bridge.ActionResult{}, permanent("label", fmt.Sprintf("invalid label %q", l))
		}
	}
	var cur struct {
		Fields struct {
			Labels []string `json:"labels"`
		} `json:"fields"`
	}
	if _, err := s.call(ctx, "label", http.MethodGet, "rest/api/2/issue/"+key+"?fields=labels", nil, &cur); err != nil {
		return bridge.ActionResult{}, err
	}
	var ops []map[string]string
	for _, l := range want {
		if !slices.Contains(cur.Fields.Labels, l) {
			ops = append(ops, map[string]string{"add": l})
		}
	}
	for _, l := range cur.Fields.Labels {
		if ownedLabel(l) && !slices.Contains(want, l) {
			ops = append(ops, map[string]string{"remove": l})
		}
	}
	if len(ops) == 0 {
		return bridge.ActionResult{Detail: "unchanged"}, nil
	}
	resp, err := s.jc.Issue.UpdateIssueWithContext(ctx, key, map[string]any{"update": map[string]any{"labels": ops}})
	if _, err := s.finish("label", resp, err); err != nil {
		return bridge.ActionResult{}, err
	}
	return bridge.ActionResult{Detail: fmt.Sprintf("%d label change(s)", len(ops))}, nil
}

// setProperty writes the evidence issue property (invisible in the UI,
// readable by apps and automation).
func (s *Source) setProperty(ctx context.Context, key string, value []byte) (bridge.ActionResult, error) {
	switch {
	case len(value) == 0:
		return bridge.ActionResult{}, permanent("property", "empty evidence property")
	case len(value) > maxProperty:
		return bridge.ActionResult{}, permanent("property", fmt.Sprintf("evidence property is %d bytes; Jira allows %d", len(value), maxProperty))
	}
	status, err := s.call(ctx, "property", http.MethodPut, "rest/api/2/issue/"+key+"/properties/"+PropertyKey, rawJSON(value), nil)
	if err != nil {
		return bridge.ActionResult{}, err
	}
	detail := "updated"
	if status == http.StatusCreated {
		detail = "created"
	}
	return bridge.ActionResult{ID: PropertyKey, Detail: detail}, nil
}

// rawJSON is sent as is by go-jira's JSON encoder.
type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }

// Revert outcomes (ActionResult.Detail).
const (
	Reverted  = "reverted"
	NotInFrom = "not_in_from_status" // someone moved it already: nothing to do
	NoWayBack = "no_way_back"        // the workflow has no transition to To
)

// revert moves the issue from tr.From back to tr.To when it is still in
// tr.From, through a transition whose target is tr.To.
func (s *Source) revert(ctx context.Context, key string, tr bridge.Transition) (bridge.ActionResult, error) {
	var cur struct {
		Fields struct {
			Status named `json:"status"`
		} `json:"fields"`
	}
	if _, err := s.call(ctx, "revert", http.MethodGet, "rest/api/2/issue/"+key+"?fields=status", nil, &cur); err != nil {
		return bridge.ActionResult{}, err
	}
	if !strings.EqualFold(cur.Fields.Status.Name, tr.From) {
		return bridge.ActionResult{Detail: NotInFrom}, nil
	}
	ts, resp, err := s.jc.Issue.GetTransitionsWithContext(ctx, key)
	if _, err := s.finish("revert", resp, err); err != nil {
		return bridge.ActionResult{}, err
	}
	for _, t := range ts {
		if strings.EqualFold(t.To.Name, tr.To) {
			resp, err := s.jc.Issue.DoTransitionWithContext(ctx, key, t.ID)
			if _, err := s.finish("revert", resp, err); err != nil {
				return bridge.ActionResult{}, err
			}
			s.log.Info("jira transition reverted", "key", key, "from", tr.From, "to", tr.To, "transition", t.Name)
			return bridge.ActionResult{ID: t.ID, Detail: Reverted}, nil
		}
	}
	return bridge.ActionResult{Detail: NoWayBack}, nil
}
