package slack

import (
	"context"
	"fmt"
	"strings"

	"github.com/accessbridge/accessbridge/bridge"
)

// workRequest verifies who asked, checks they may ask, and submits the
// request to the ticket backend; the requester hears the outcome.
func (a *App) workRequest(ctx context.Context, j requestJob) error {
	p, refusal, err := a.person(ctx, j.UserID)
	if err != nil {
		return err
	}
	if refusal == "" {
		refusal = a.ineligible(p)
	}
	if refusal == "" && j.Request.Subject != "" {
		if refusal, err = a.checkSubject(ctx, p.Email, j.Request.Subject); err != nil {
			return err
		}
	}
	if refusal != "" {
		return a.refuseRequest(ctx, j, p.Email, refusal)
	}
	t, err := a.b.Submit(ctx, bridge.Request{
		Requester: p.Email, Subject: j.Request.Subject,
		Resource: j.Request.Resource, Role: j.Request.Role, Duration: j.Request.Duration,
		Justification: j.Request.Justification, Channel: "slack",
		Extra: map[string]string{"slack_user": j.UserID, "via": j.Via, "idempotency_key": j.Key},
	})
	if err != nil {
		if !bridge.Retryable(err) {
			_ = a.reply(ctx, j.ResponseURL, j.UserID, ":warning: Your request could not be filed; please try again or contact the helpdesk.")
		}
		return fmt.Errorf("slack: submit request: %w", err)
	}
	msg := fmt.Sprintf(":inbox_tray: Filed %s: %s. I will message you when it is decided; `%s status %s` shows where it stands.",
		link(t.URL, t.Key), what(Status{Resource: j.Request.Resource, Role: j.Request.Role, Duration: j.Request.Duration}),
		a.cfg.Command, esc(t.Key))
	return a.reply(ctx, j.ResponseURL, j.UserID, msg)
}

// checkSubject allows requesting on behalf of an active non-human identity
// the requester owns, and nothing else.
func (a *App) checkSubject(ctx context.Context, requester, subject string) (string, error) {
	s, err := a.dir.Lookup(ctx, subject)
	if err != nil {
		if bridge.Retryable(err) {
			return "", err
		}
		return esc(subject) + " is not in the directory", nil
	}
	switch {
	case !s.NonHuman():
		return "you can only request on behalf of a service account", nil
	case !strings.EqualFold(s.Owner, requester):
		return "you are not the owner of " + esc(subject), nil
	case !s.Active:
		return esc(subject) + " is not active", nil
	}
	return "", nil
}

func (a *App) refuseRequest(ctx context.Context, j requestJob, email, reason string) error {
	err := a.audit(ctx, "request_refused", bridge.Ref{}, map[string]any{
		"slack_user": j.UserID, "email": email, "reason": reason,
		"resource": j.Request.Resource, "role": j.Request.Role, "subject": j.Request.Subject,
	})
	if err != nil {
		return err
	}
	return a.reply(ctx, j.ResponseURL, j.UserID, ":no_entry: Request not filed: "+reason+
		". If this is wrong, contact the helpdesk.")
}
