package slack

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/policy"
)

// workDecision records an Approve or Deny from Slack after verifying who
// clicked: a directory person, eligible for one of the ticket's missing
// requirements, and neither its requester nor its subject.
func (a *App) workDecision(ctx context.Context, j decisionJob) error {
	st, err := a.b.Status(ctx, j.Ref)
	if errors.Is(err, bridge.ErrNotFound) {
		return a.reply(ctx, j.ResponseURL, j.UserID, "No request "+esc(j.Ref.Key)+" is known to the access bridge.")
	}
	if err != nil {
		return err
	}
	p, refusal, err := a.person(ctx, j.UserID)
	if err != nil {
		return err
	}
	if refusal == "" {
		refusal = a.ineligible(p)
	}
	if refusal != "" {
		return a.refuseDecision(ctx, j, p.Email, refusal)
	}
	if st.Verdict != policy.Pending {
		return a.reply(ctx, j.ResponseURL, j.UserID, fmt.Sprintf("%s is already decided (%s); nothing was recorded.",
			esc(j.Ref.Key), verdictText(st.Verdict)))
	}
	if j.Decision == policy.Approve && containsEmail(st.Approvers, p.Email) {
		return a.reply(ctx, j.ResponseURL, j.UserID, "You already approved "+esc(j.Ref.Key)+"; nothing more to do.")
	}
	if refusal, err = a.mayDecide(ctx, st, p); err != nil {
		return err
	}
	if refusal != "" {
		return a.refuseDecision(ctx, j, p.Email, refusal)
	}
	err = a.b.Approve(ctx, j.Ref, policy.Approval{By: p.Email, Decision: j.Decision, Reason: j.Reason,
		Channel: "slack", SourceUser: j.UserID, At: a.now()})
	if err != nil {
		return fmt.Errorf("slack: record %s: %w", j.Decision, err)
	}
	word := "approval"
	if j.Decision == policy.Deny {
		word = "denial"
	}
	return a.reply(ctx, j.ResponseURL, j.UserID, fmt.Sprintf("Recorded your %s of %s.", word, esc(j.Ref.Key)))
}

// mayDecide says why p may not approve or deny st, or "".
func (a *App) mayDecide(ctx context.Context, st Status, p policy.Person) (string, error) {
	rule, _ := a.rule(st.Rule)
	if !rule.SelfApproval && (sameEmail(p.Email, st.Requester) || sameEmail(p.Email, st.Subject)) {
		return "you cannot approve or deny your own request", nil
	}
	if !slackAllowed(st.Channels) {
		return "approvals for this request are given in the ticket, not in Slack", nil
	}
	ok, _, err := a.canApprove(ctx, st, p)
	if err != nil || ok {
		return "", err
	}
	return "you are not one of the approvers this request is waiting for (" + describeMissing(st.Missing) + ")", nil
}

// canApprove reports whether p satisfies one of st's missing requirements:
// a named candidate, or a member of a group:NAME the requirement draws from.
func (a *App) canApprove(ctx context.Context, st Status, p policy.Person) (bool, string, error) {
	for _, r := range st.Missing {
		if r.Have >= r.Count {
			continue
		}
		if containsEmail(r.Candidates, p.Email) {
			return true, r.Name, nil
		}
		for _, from := range r.From {
			if u, ok := strings.CutPrefix(from, "user:"); ok && sameEmail(u, p.Email) {
				return true, r.Name, nil
			}
			g, ok := strings.CutPrefix(from, "group:")
			if !ok {
				continue
			}
			member, err := a.isMember(ctx, g, p)
			if err != nil || member {
				return member, r.Name, err
			}
		}
	}
	return false, "", nil
}

func (a *App) isMember(ctx context.Context, group string, p policy.Person) (bool, error) {
	if p.InGroup(group) {
		return true, nil
	}
	ms, err := a.dir.Members(ctx, group)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(ms, func(m policy.Person) bool { return sameEmail(m.Email, p.Email) }), nil
}

func (a *App) refuseDecision(ctx context.Context, j decisionJob, email, reason string) error {
	err := a.audit(ctx, "approval_refused", j.Ref, map[string]any{
		"slack_user": j.UserID, "email": email, "decision": j.Decision, "reason": reason,
	})
	if err != nil {
		return err
	}
	return a.reply(ctx, j.ResponseURL, j.UserID, ":no_entry: Not recorded: "+reason+".")
}

// slackAllowed reports whether approvals may be given in Slack.
func slackAllowed(channels []string) bool {
	return len(channels) == 0 || slices.ContainsFunc(channels, func(c string) bool { return strings.EqualFold(c, "slack") })
}
