package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/slack-go/slack"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/policy"
)

// Action ids of the approval message's buttons.
const (
	actionApprove = "approve"
	actionDeny    = "deny"
	actionTicket  = "open_ticket"
)

// Interactions serves POST /slack/interactions: button clicks and modal
// submissions.
func (a *App) Interactions() http.Handler { return http.HandlerFunc(a.serveInteraction) }

func (a *App) serveInteraction(w http.ResponseWriter, r *http.Request) {
	if _, ok := a.readVerified(w, r); !ok {
		return
	}
	ic, err := slack.InteractionCallbackParse(r)
	if err != nil || ic.User.ID == "" {
		http.Error(w, "malformed interaction payload", http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), handlerBudget)
	defer cancel()
	switch ic.Type {
	case slack.InteractionTypeBlockActions:
		a.blockActions(ctx, w, ic)
	case slack.InteractionTypeViewSubmission:
		a.viewSubmission(ctx, w, ic)
	default:
		w.WriteHeader(http.StatusOK) // view_closed, shortcuts, …: nothing to do
	}
}

func (a *App) blockActions(ctx context.Context, w http.ResponseWriter, ic slack.InteractionCallback) {
	for _, act := range ic.ActionCallback.BlockActions {
		if act.ActionID != actionApprove && act.ActionID != actionDeny {
			continue // link buttons and form selects
		}
		ref, ok := parseRef(act.Value, "")
		if !ok {
			a.log.Warn("slack click with a bad value", "action", act.ActionID, "user", ic.User.ID)
			continue
		}
		if act.ActionID == actionDeny {
			a.openDenyModal(ctx, ic, ref)
			continue
		}
		job := decisionJob{UserID: ic.User.ID, Ref: ref, Decision: policy.Approve,
			ResponseURL: ic.ResponseURL, ActionTS: act.ActionTs}
		if err := a.enqueue(ctx, JobDecision, job); err != nil {
			a.log.Error("slack enqueue failed", "kind", JobDecision, "err", err)
			http.Error(w, "busy", http.StatusServiceUnavailable) // Slack shows the clicker an error
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// openDenyModal asks for the reason before anything is recorded.
func (a *App) openDenyModal(ctx context.Context, ic slack.InteractionCallback, ref bridge.Ref) {
	if _, err := a.api.OpenViewContext(ctx, ic.TriggerID, denyModal(ref, ic.ResponseURL)); err != nil {
		a.log.Warn("slack views.open (deny) failed", "err", upstream("views.open", err))
	}
}

func (a *App) viewSubmission(ctx context.Context, w http.ResponseWriter, ic slack.InteractionCallback) {
	var (
		kind string
		job  any
		errs map[string]string
	)
	switch ic.View.CallbackID {
	case cbRequest:
		kind, job, errs = a.requestSubmission(ic)
	case cbDeny:
		kind, job, errs = denySubmission(ic)
	default:
		w.WriteHeader(http.StatusOK)
		return
	}
	if len(errs) > 0 {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(slack.NewErrorsViewSubmissionResponse(errs))
		return
	}
	if err := a.enqueue(ctx, kind, job); err != nil {
		a.log.Error("slack enqueue failed", "kind", kind, "err", err)
		w.Header().Set("Content-Type", "application/json")
		first := map[string]string{"reason": "The access bridge is busy; please submit again in a minute."}
		if kind == JobRequest {
			first = map[string]string{fieldResource: first["reason"]}
		}
		_ = json.NewEncoder(w).Encode(slack.NewErrorsViewSubmissionResponse(first))
		return
	}
	w.WriteHeader(http.StatusOK) // an empty 200 closes the modal
}

func (a *App) requestSubmission(ic slack.InteractionCallback) (string, any, map[string]string) {
	req, errs := requestFromView(ic.View, a.catalog())
	if len(errs) > 0 {
		return "", nil, errs
	}
	var meta requestMeta
	_ = json.Unmarshal([]byte(ic.View.PrivateMetadata), &meta)
	job := requestJob{UserID: ic.User.ID, ResponseURL: meta.ResponseURL, Request: req,
		Via: "modal", Key: "slack:view:" + ic.View.ID + ":" + ic.View.Hash}
	return JobRequest, job, nil
}

func denySubmission(ic slack.InteractionCallback) (string, any, map[string]string) {
	var meta denyMeta
	err := json.Unmarshal([]byte(ic.View.PrivateMetadata), &meta)
	if _, ok := parseRef(meta.Ref.String(), ""); err != nil || !ok {
		return "", nil, map[string]string{"reason": "This form is out of date; click Deny again."}
	}
	var reason string
	if ic.View.State != nil {
		reason = strings.TrimSpace(ic.View.State.Values["reason"]["reason"].Value)
	}
	if reason == "" {
		return "", nil, map[string]string{"reason": "Say why you deny this request."}
	}
	job := decisionJob{UserID: ic.User.ID, Ref: meta.Ref, Decision: policy.Deny, Reason: clipPlain(reason, 500),
		ResponseURL: meta.ResponseURL}
	return JobDecision, job, nil
}
