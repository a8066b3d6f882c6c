package jira

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/accessbridge/accessbridge/bridge"
)

// Apply performs one action. Every kind is safe to repeat: comments are
// found by marker (in what the preceding Fetch read, else by listing)
// before anything is posted, labels and properties are set to a state, a
// revert re-reads the status first.
func (s *Source) Apply(ctx context.Context, a bridge.Action) (bridge.ActionResult, error) {
	key := a.Ticket.Key
	if err := checkKey(a.Kind, key); err != nil {
		return bridge.ActionResult{}, err
	}
	// "No bridge comment yet" is trusted from the cache only on a first
	// attempt in a single-process deployment: a retry may follow its own
	// applied-but-unanswered POST, and another replica may have posted
	// since this process last read the issue. Otherwise list first.
	trustNone := !a.Retry && !s.cfg.SharedStore
	switch a.Kind {
	case bridge.ActionComment:
		return s.upsertComment(ctx, key, s.withEvidenceLink(key, a.Body), trustNone)
	case bridge.ActionReply:
		return s.reply(ctx, key, a.Digest, a.Body, trustNone)
	case bridge.ActionLabel:
		return s.setLabels(ctx, key, a.Labels)
	case bridge.ActionProperty:
		return s.setProperty(ctx, key, a.Property)
	case bridge.ActionEvidence:
		return s.setEvidence(ctx, key, a.Labels, a.Property)
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
