package slack

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/accessbridge/accessbridge/policy"
)

// approvalBlocks renders the approver's message for the ticket's current
// state. canAct shows Approve/Deny; rules that take approvals only in the
// ticket get a link button instead.
func approvalBlocks(st Status, canAct bool) []slack.Block {
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(clipPlain("Access request "+st.Ticket.Key, 150))),
	}
	if st.Summary != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(esc(clipPlain(st.Summary, 2900))), nil, nil))
	}
	blocks = append(blocks, slack.NewSectionBlock(nil, detailFields(st), nil))
	if st.Justification != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn("*Justification*\n"+esc(clipPlain(st.Justification, 2800))), nil, nil))
	}
	blocks = append(blocks, slack.NewSectionBlock(mrkdwn(progressText(st)), nil, nil))
	if acts := actionElements(st, canAct); len(acts) > 0 {
		blocks = append(blocks, slack.NewActionBlock("decide|"+st.Ticket.String(), acts...))
	}
	if st.Verdict == policy.Pending && !slackAllowed(st.Channels) {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn("This rule takes approvals in the ticket, not in Slack.")))
	}
	return blocks
}

func detailFields(st Status) []*slack.TextBlockObject {
	f := []*slack.TextBlockObject{field("Requester", st.Requester)}
	if st.Subject != "" && !sameEmail(st.Subject, st.Requester) {
		f = append(f, field("Subject", st.Subject))
	}
	f = append(f, field("Resource", st.Resource), field("Role", st.Role), field("Duration", st.Duration))
	impact := strings.Trim(st.Category+" / "+st.Impact, " /")
	f = append(f, field("Impact", impact))
	elig := ":white_check_mark: eligible"
	if !st.Eligible {
		elig = ":warning: not eligible"
		if st.EligibilityReason != "" {
			elig += ": " + st.EligibilityReason
		}
	}
	f = append(f, mrkdwn("*Eligibility*\n"+esc(clipPlain(elig, 1900))))
	return f
}

func field(label, value string) *slack.TextBlockObject {
	if value == "" {
		value = "—"
	}
	return mrkdwn("*" + label + "*\n" + esc(clipPlain(value, 1900)))
}

// progressText says what is still needed and who approved, or the outcome.
func progressText(st Status) string {
	var b strings.Builder
	if st.Verdict == policy.Pending {
		b.WriteString("*Still needed:* " + describeMissing(st.Missing))
	} else {
		b.WriteString("*Decision:* " + verdictText(st.Verdict))
		if len(st.Reasons) > 0 {
			b.WriteString(" — " + esc(strings.Join(st.Reasons, "; ")))
		}
	}
	if len(st.Approvers) > 0 {
		b.WriteString("\n*Approved by:* " + esc(strings.Join(st.Approvers, ", ")))
	}
	return b.String()
}

func actionElements(st Status, canAct bool) []slack.BlockElement {
	var els []slack.BlockElement
	if st.Verdict == policy.Pending && canAct && slackAllowed(st.Channels) {
		v := st.Ticket.String()
		els = append(els,
			slack.NewButtonBlockElement(actionApprove, v, plain("Approve")).WithStyle(slack.StylePrimary),
			slack.NewButtonBlockElement(actionDeny, v, plain("Deny")).WithStyle(slack.StyleDanger))
	}
	if st.URL != "" {
		els = append(els, slack.NewButtonBlockElement(actionTicket, st.Ticket.String(), plain("Open ticket")).WithURL(st.URL))
	}
	return els
}

// approvalFallback is the notification text (shown in pushes and to screen readers).
func approvalFallback(st Status, canAct bool) string {
	if st.Verdict != policy.Pending {
		return fmt.Sprintf("Access request %s: %s", st.Ticket.Key, st.Verdict)
	}
	s := fmt.Sprintf("Access request %s: %s asks for %s", st.Ticket.Key, st.Requester, what(st))
	if canAct {
		s += " — your approval is needed"
	}
	return s
}
