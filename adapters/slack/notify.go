package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/policy"
)

// Message kinds kept in the MessageStore.
const (
	kindApproval   = "approval"
	kindRequester  = "requester:" // + final verdict
	kindReminder   = "reminder"
	kindEscalation = "escalation"
	kindExpiry     = "expiry"
)

// Notify brings Slack in line with a ticket's new state: every approval
// message already sent is updated in place, approvers the policy now needs
// and who have no message yet get one, and on a final verdict the requester
// is told. Messages are recorded as soon as they are sent, so a retried
// Notify updates rather than repeats them.
func (a *App) Notify(ctx context.Context, st Status, prev policy.Verdict) error {
	existing, err := a.msgs.Messages(ctx, st.Ticket)
	if err != nil {
		return err
	}
	var recips []recipient
	if st.Verdict == policy.Pending {
		if recips, err = a.recipients(ctx, st); err != nil {
			return err
		}
	}
	needed := map[string]bool{}
	for _, r := range recips {
		needed[r.key] = true
	}
	var errs []error
	sent := map[string]bool{}
	for _, m := range existing {
		if m.Kind == kindApproval {
			sent[messageKey(m)] = true
			errs = append(errs, a.updateApproval(ctx, m, st, needed[messageKey(m)]))
		}
	}
	for _, r := range recips {
		if !sent[r.key] {
			errs = append(errs, a.postApproval(ctx, st, r))
		}
	}
	if (st.Verdict == policy.Allowed || st.Verdict == policy.Denied) && st.Verdict != prev {
		errs = append(errs, a.tellRequester(ctx, st, existing))
	}
	return errors.Join(errs...)
}

// recipient is one place an approval request goes: a person's DM or a
// group's channel.
type recipient struct {
	key     string // lower-case email, or "channel:<id>"
	email   string
	group   string
	channel string
}

// recipients resolves who the ticket waits on — only them, never the
// requester or subject. A requirement that names nobody reachable goes to
// the fallback approver.
func (a *App) recipients(ctx context.Context, st Status) ([]recipient, error) {
	var out []recipient
	seen := map[string]bool{}
	add := func(r recipient) int {
		if r.email != "" && (sameEmail(r.email, st.Requester) || sameEmail(r.email, st.Subject)) {
			return 0
		}
		if !seen[r.key] {
			seen[r.key] = true
			out = append(out, r)
		}
		return 1
	}
	for _, req := range st.Missing {
		if req.Have >= req.Count {
			continue
		}
		n, err := a.requirementRecipients(ctx, req, add)
		if err != nil {
			return nil, err
		}
		if n == 0 && a.cfg.FallbackApprover != "" {
			add(person(a.cfg.FallbackApprover))
		}
	}
	return out, nil
}

func (a *App) requirementRecipients(ctx context.Context, req policy.Requirement, add func(recipient) int) (int, error) {
	n := 0
	for _, c := range req.Candidates {
		n += add(person(c))
	}
	for _, from := range req.From {
		g, ok := strings.CutPrefix(from, "group:")
		if !ok {
			continue
		}
		m, err := a.groupRecipients(ctx, g, add)
		if err != nil {
			return n, err
		}
		n += m
	}
	return n, nil
}

// groupRecipients posts to the group's channel when one is configured,
// else DMs its active human members.
func (a *App) groupRecipients(ctx context.Context, group string, add func(recipient) int) (int, error) {
	if ch, ok := a.cfg.ApproverChannel[group]; ok && ch != "" {
		return add(recipient{key: "channel:" + ch, group: group, channel: ch}), nil
	}
	members, err := a.dir.Members(ctx, group)
	if err != nil {
		return 0, fmt.Errorf("slack: members of %s: %w", group, err)
	}
	n := 0
	for _, m := range members {
		if m.Active && !m.NonHuman() {
			n += add(person(m.Email))
		}
	}
	return n, nil
}

func person(email string) recipient {
	return recipient{key: strings.ToLower(email), email: email}
}

func messageKey(m bridge.Message) string {
	if strings.HasPrefix(m.Person, "group:") {
		return "channel:" + m.Channel
	}
	return strings.ToLower(m.Person)
}

// postApproval sends a new approval message and records it.
func (a *App) postApproval(ctx context.Context, st Status, r recipient) error {
	m := bridge.Message{Ticket: st.Ticket, Person: r.email, Kind: kindApproval, Channel: r.channel}
	if r.group != "" {
		m.Person = "group:" + r.group
	}
	return a.send(ctx, &m, approvalFallback(st, true), approvalBlocks(st, true))
}

// send posts a message to m.Channel (or m.Person's DM) and records it.
// A person without a Slack account is logged and skipped.
func (a *App) send(ctx context.Context, m *bridge.Message, text string, blocks []slack.Block) error {
	if m.Channel == "" {
		ch, err := a.dmFor(ctx, m.Person)
		if errors.Is(err, errNoSlackUser) {
			a.log.Warn("slack: no Slack account; message not sent", "ticket", m.Ticket.String(), "kind", m.Kind)
			return nil
		}
		if err != nil {
			return err
		}
		m.Channel = ch
	}
	opts := []slack.MsgOption{slack.MsgOptionText(text, false)}
	if len(blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	_, ts, err := a.api.PostMessageContext(ctx, m.Channel, opts...)
	if err != nil {
		return upstream("chat.postMessage", err)
	}
	m.TS, m.SentAt = ts, a.now()
	return a.msgs.PutMessage(ctx, *m)
}

// updateApproval rewrites an approval message in place for the new state.
func (a *App) updateApproval(ctx context.Context, m bridge.Message, st Status, canAct bool) error {
	_, _, _, err := a.api.UpdateMessageContext(ctx, m.Channel, m.TS,
		slack.MsgOptionText(approvalFallback(st, canAct), false),
		slack.MsgOptionBlocks(approvalBlocks(st, canAct)...))
	switch slackCode(err) {
	case "message_not_found", "channel_not_found", "cant_update_message", "edit_window_closed":
		a.log.Warn("slack: approval message can no longer be updated", "ticket", st.Ticket.String(), "code", slackCode(err))
		return nil
	}
	return upstream("chat.update", err)
}

// tellRequester DMs the requester the final verdict, once per verdict.
func (a *App) tellRequester(ctx context.Context, st Status, existing []bridge.Message) error {
	kind := kindRequester + string(st.Verdict)
	for _, m := range existing {
		if m.Kind == kind {
			return nil
		}
	}
	var text string
	if st.Verdict == policy.Allowed {
		text = fmt.Sprintf(":white_check_mark: Your request %s for %s was *allowed*.", link(st.URL, st.Ticket.Key), what(st))
		if !st.GrantUntil.IsZero() {
			text += " It expires " + st.GrantUntil.UTC().Format("2006-01-02 15:04 MST") + "."
		}
	} else {
		text = fmt.Sprintf(":no_entry: Your request %s for %s was *denied*.", link(st.URL, st.Ticket.Key), what(st))
		if len(st.Reasons) > 0 {
			text += " " + esc(strings.Join(st.Reasons, "; "))
		}
	}
	m := bridge.Message{Ticket: st.Ticket, Person: st.Requester, Kind: kind}
	return a.send(ctx, &m, text, nil)
}
