package slack

import (
	"context"
	"errors"
	"strings"

	"github.com/slack-go/slack"

	"github.com/accessbridge/accessbridge/bridge"
)

// reply tells one Slack user something only they see: through the
// response_url when there is one (ephemeral, where they asked), else by DM.
func (a *App) reply(ctx context.Context, responseURL, slackUser, text string) error {
	if responseURL != "" {
		_, _, _, err := a.api.SendMessageContext(ctx, "",
			slack.MsgOptionResponseURL(responseURL, slack.ResponseTypeEphemeral),
			slack.MsgOptionText(text, false))
		if err == nil {
			return nil
		}
		// Expired or used up (5 posts / 30 minutes): fall back to a DM.
		a.log.Info("slack response_url failed; sending DM", "err", upstream("response_url", err))
	}
	ch, err := a.openDM(ctx, slackUser)
	if err != nil {
		return err
	}
	_, _, err = a.api.PostMessageContext(ctx, ch, slack.MsgOptionText(text, false))
	return upstream("chat.postMessage", err)
}

// openDM returns the DM channel with a Slack user.
func (a *App) openDM(ctx context.Context, slackUser string) (string, error) {
	ch, _, _, err := a.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{slackUser}})
	if err != nil {
		return "", upstream("conversations.open", err)
	}
	return ch.ID, nil
}

// errNoSlackUser means a directory person has no Slack account to DM.
var errNoSlackUser = errors.New("no Slack user for this email")

// dmFor returns the DM channel with a directory person, cached by email.
func (a *App) dmFor(ctx context.Context, email string) (string, error) {
	a.dmMu.Lock()
	ch, ok := a.dms[strings.ToLower(email)]
	a.dmMu.Unlock()
	if ok {
		return ch, nil
	}
	u, err := a.api.GetUserByEmailContext(ctx, email)
	if slackCode(err) == "users_not_found" {
		return "", errNoSlackUser
	}
	if err != nil {
		return "", upstream("users.lookupByEmail", err)
	}
	if ch, err = a.openDM(ctx, u.ID); err != nil {
		return "", err
	}
	a.dmMu.Lock()
	a.dms[strings.ToLower(email)] = ch
	a.dmMu.Unlock()
	return ch, nil
}

// audit records an event; a failed audit write fails the job, which is
// then retried, so no refusal goes unrecorded.
func (a *App) audit(ctx context.Context, kind string, ref bridge.Ref, data map[string]any) error {
	return a.b.Audit(ctx, kind, ref, data)
}
