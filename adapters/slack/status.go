package slack

import (
	"context"
	"errors"
	"strings"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/policy"
)

const maxListed = 15

// workStatus answers /access status [KEY] and /access mine.
func (a *App) workStatus(ctx context.Context, j statusJob) error {
	p, refusal, err := a.person(ctx, j.UserID)
	if err != nil {
		return err
	}
	if refusal != "" {
		return a.reply(ctx, j.ResponseURL, j.UserID, ":no_entry: "+refusal+".")
	}
	if j.Ref != nil {
		return a.statusOne(ctx, j, p)
	}
	all, err := a.b.Mine(ctx, p.Email)
	if err != nil {
		return err
	}
	var lines []string
	for _, st := range all {
		if st.Verdict == policy.Pending && len(lines) < maxListed {
			lines = append(lines, "• "+statusLine(st))
		}
	}
	if len(lines) == 0 {
		return a.reply(ctx, j.ResponseURL, j.UserID, "You have no open access requests.")
	}
	return a.reply(ctx, j.ResponseURL, j.UserID, "*Your open requests*\n"+strings.Join(lines, "\n"))
}

// statusOne shows one ticket to its requester, subject or approvers only:
// a justification can be sensitive.
func (a *App) statusOne(ctx context.Context, j statusJob, p policy.Person) error {
	st, err := a.b.Status(ctx, *j.Ref)
	if errors.Is(err, bridge.ErrNotFound) {
		return a.reply(ctx, j.ResponseURL, j.UserID, "No request "+esc(j.Ref.Key)+" is known to the access bridge.")
	}
	if err != nil {
		return err
	}
	allowed := sameEmail(st.Requester, p.Email) || sameEmail(st.Subject, p.Email) || containsEmail(st.Approvers, p.Email)
	if !allowed {
		if allowed, _, err = a.canApprove(ctx, st, p); err != nil {
			return err
		}
	}
	if !allowed {
		return a.reply(ctx, j.ResponseURL, j.UserID, "You can only look up requests you made, are the subject of, or are asked to approve.")
	}
	return a.reply(ctx, j.ResponseURL, j.UserID, statusLine(st))
}
