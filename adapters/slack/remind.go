package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/policy"
)

// Remind nudges the approvers of a pending ticket once the rule's
// remind_after has passed since the last message, and escalates once
// escalate_after has passed since the first one. Scheduled by the
// pipeline; safe to call as often as it likes.
func (a *App) Remind(ctx context.Context, ref bridge.Ref) error {
	st, err := a.b.Status(ctx, ref)
	if errors.Is(err, bridge.ErrNotFound) {
		return nil
	}
	if err != nil || st.Verdict != policy.Pending {
		return err
	}
	rule, ok := a.rule(st.Rule)
	if !ok || (rule.RemindAfter <= 0 && rule.EscalateAfter <= 0) {
		return nil
	}
	msgs, err := a.msgs.Messages(ctx, ref)
	if err != nil {
		return err
	}
	first, last, escalated := timeline(msgs)
	if first.IsZero() {
		return nil // Notify has not reached anyone yet
	}
	now := a.now()
	if rule.EscalateAfter > 0 && !escalated && now.Sub(first) >= rule.EscalateAfter {
		return a.escalate(ctx, st, rule, now.Sub(first))
	}
	if rule.RemindAfter > 0 && now.Sub(last) >= rule.RemindAfter {
		return a.remind(ctx, st, now.Sub(first))
	}
	return nil
}

// timeline finds the first approval message, the last approval/reminder/
// escalation message, and whether an escalation was already sent.
func timeline(msgs []bridge.Message) (first, last time.Time, escalated bool) {
	for _, m := range msgs {
		switch m.Kind {
		case kindApproval, kindReminder, kindEscalation:
		default:
			continue
		}
		if m.Kind == kindApproval && (first.IsZero() || m.SentAt.Before(first)) {
			first = m.SentAt
		}
		if m.SentAt.After(last) {
			last = m.SentAt
		}
		escalated = escalated || m.Kind == kindEscalation
	}
	return first, last, escalated
}

func (a *App) remind(ctx context.Context, st Status, waited time.Duration) error {
	recips, err := a.recipients(ctx, st)
	if err != nil {
		return err
	}
	text := fmt.Sprintf(":bell: Reminder: %s (%s asks for %s) has waited %s for your decision. Use the Approve / Deny buttons on the request above.",
		link(st.URL, st.Ticket.Key), esc(st.Requester), what(st), roughly(waited))
	var sentTo []string
	var errs []error
	for _, r := range recips {
		m := bridge.Message{Ticket: st.Ticket, Person: r.email, Kind: kindReminder, Channel: r.channel}
		if r.group != "" {
			m.Person = "group:" + r.group
		}
		if err := a.send(ctx, &m, text, nil); err != nil {
			errs = append(errs, err)
			continue
		}
		sentTo = append(sentTo, m.Person)
	}
	if len(sentTo) > 0 {
		errs = append(errs, a.audit(ctx, "reminder", st.Ticket, map[string]any{"to": sentTo, "waited": waited.String()}))
	}
	return errors.Join(errs...)
}

// escalate tells the rule's escalate_to (or the fallback approver) that the
// ticket is stuck. It is a heads-up: it carries no Approve button, since
// the escalation target may not be an eligible approver.
func (a *App) escalate(ctx context.Context, st Status, rule policy.ApprovalRule, waited time.Duration) error {
	targets, err := a.escalationTargets(ctx, rule)
	if err != nil {
		return err
	}
	text := fmt.Sprintf(":rotating_light: Escalation: %s (%s asks for %s) has waited %s and still needs %s.",
		link(st.URL, st.Ticket.Key), esc(st.Requester), what(st), roughly(waited), describeMissing(st.Missing))
	var sentTo []string
	var errs []error
	for _, r := range targets {
		if r.email != "" && (sameEmail(r.email, st.Requester) || sameEmail(r.email, st.Subject)) {
			continue
		}
		m := bridge.Message{Ticket: st.Ticket, Person: r.email, Kind: kindEscalation, Channel: r.channel}
		if r.group != "" {
			m.Person = "group:" + r.group
		}
		if err := a.send(ctx, &m, text, nil); err != nil {
			errs = append(errs, err)
			continue
		}
		sentTo = append(sentTo, m.Person)
	}
	if len(sentTo) == 0 && len(errs) == 0 {
		a.log.Warn("slack: escalation due but nobody to escalate to", "ticket", st.Ticket.String(), "rule", rule.Name)
	}
	if len(sentTo) > 0 {
		errs = append(errs, a.audit(ctx, "escalation", st.Ticket, map[string]any{"to": sentTo, "waited": waited.String(), "rule": rule.Name}))
	}
	return errors.Join(errs...)
}

// escalationTargets reads escalate_to: "group:NAME", "user:EMAIL" or an
// email, comma-separated; empty means the fallback approver.
func (a *App) escalationTargets(ctx context.Context, rule policy.ApprovalRule) ([]recipient, error) {
	spec := rule.EscalateTo
	if strings.TrimSpace(spec) == "" {
		spec = a.cfg.FallbackApprover
	}
	var out []recipient
	add := func(r recipient) int { out = append(out, r); return 1 }
	for _, t := range strings.Split(spec, ",") {
		t = strings.TrimSpace(t)
		switch {
		case t == "":
		case strings.HasPrefix(t, "group:"):
			if _, err := a.groupRecipients(ctx, strings.TrimPrefix(t, "group:"), add); err != nil {
				return nil, err
			}
		case strings.Contains(t, "@"):
			add(person(strings.TrimPrefix(t, "user:")))
		}
	}
	return out, nil
}

// NotifyExpiry tells the subject (for a service account: its owner) that a
// time-bound grant has expired. Sent once per grant.
func (a *App) NotifyExpiry(ctx context.Context, g bridge.Grant) error {
	to := g.Subject
	if p, err := a.dir.Lookup(ctx, g.Subject); err == nil && p.NonHuman() && p.Owner != "" {
		to = p.Owner
	} else if err != nil && !errors.Is(err, bridge.ErrNotFound) {
		return err
	}
	msgs, err := a.msgs.Messages(ctx, g.Ticket)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if m.Kind == kindExpiry && sameEmail(m.Person, to) {
			return nil
		}
	}
	e := g.Entitlement
	st := Status{Resource: e.Resource, Role: e.Role}
	text := fmt.Sprintf(":hourglass: Access to %s from %s has expired", what(st), esc(g.Ticket.Key))
	if !sameEmail(to, g.Subject) {
		text += " for " + esc(g.Subject)
	}
	if !g.ExpiresAt.IsZero() {
		text += " (" + g.ExpiresAt.UTC().Format("2006-01-02 15:04 MST") + ")"
	}
	text += fmt.Sprintf(" and is being revoked. Need it again? `%s request %s`", a.cfg.Command, esc(e.Resource))
	m := bridge.Message{Ticket: g.Ticket, Person: to, Kind: kindExpiry}
	return a.send(ctx, &m, text, nil)
}

// roughly prints a wait as people say it: "3h", "2d".
func roughly(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	if d >= time.Hour {
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return fmt.Sprintf("%d minutes", d/time.Minute)
}
