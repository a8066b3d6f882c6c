package slack

import (
	"context"
	"errors"
	"strings"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/policy"
)

// person maps a Slack user to a directory person: users.info →
// profile.email → Directory.Lookup. refusal is set, with err nil, when the
// mapping fails for a reason the user should be told; err is for failures
// worth retrying.
func (a *App) person(ctx context.Context, slackUser string) (p policy.Person, refusal string, err error) {
	u, err := a.api.GetUserInfoContext(ctx, slackUser)
	switch {
	case slackCode(err) == "user_not_found":
		return p, "your Slack account could not be found", nil
	case err != nil:
		return p, "", upstream("users.info", err)
	case u.Deleted:
		return p, "your Slack account is deactivated", nil
	case u.IsBot:
		return p, "bots cannot request or approve access", nil
	case u.Profile.Email == "":
		return p, "your Slack profile has no email address, so the bridge cannot verify who you are", nil
	}
	p, err = a.dir.Lookup(ctx, u.Profile.Email)
	if errors.Is(err, bridge.ErrNotFound) {
		return p, "your email " + esc(u.Profile.Email) + " is not in the directory", nil
	}
	if err != nil {
		return p, "", err
	}
	return p, "", nil
}

// ineligible says why p may not request or approve access now, or "".
func (a *App) ineligible(p policy.Person) string {
	switch {
	case !p.Active:
		return "your directory entry is not active"
	case !p.EndDate.IsZero() && !a.now().Before(p.EndDate):
		return "your end date (" + p.EndDate.Format("2006-01-02") + ") has passed"
	case p.NonHuman():
		return "a non-human identity cannot act here"
	}
	return ""
}

func sameEmail(a, b string) bool { return a != "" && strings.EqualFold(a, b) }

func containsEmail(list []string, e string) bool {
	for _, x := range list {
		if sameEmail(x, e) {
			return true
		}
	}
	return false
}
