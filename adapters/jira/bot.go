package jira

import (
	"context"
	"net/http"
	"time"
)

// botRetry is how long a failed /myself lookup is not repeated on the
// paths that can do without it (webhooks, Fetch).
const botRetry = time.Minute

// botLookupTimeout bounds the lookup when a webhook delivery waits on it.
const botLookupTimeout = 5 * time.Second

// botAccount is BotAccount, or the authenticated account asked once from
// /myself (lazily: New makes no request) and kept.
func (s *Source) botAccount(ctx context.Context) (string, error) {
	if s.cfg.BotAccount != "" {
		return s.cfg.BotAccount, nil
	}
	s.botMu.Lock()
	defer s.botMu.Unlock()
	if s.bot == "" {
		var me wireUser
		if _, err := s.call(ctx, "myself", http.MethodGet, "rest/api/2/myself", nil, &me); err != nil {
			s.botFailed = time.Now()
			return "", err
		}
		s.bot = me.id()
	}
	return s.bot, nil
}

// knownBot is the bridge's account if known without a request.
func (s *Source) knownBot() string {
	if s.cfg.BotAccount != "" {
		return s.cfg.BotAccount
	}
	s.botMu.Lock()
	defer s.botMu.Unlock()
	return s.bot
}

// botQuietly looks the account up for a caller that proceeds without it:
// failures are logged, and not retried for botRetry.
func (s *Source) botQuietly(ctx context.Context) string {
	if b := s.knownBot(); b != "" {
		return b
	}
	s.botMu.Lock()
	recent := !s.botFailed.IsZero() && time.Since(s.botFailed) < botRetry
	s.botMu.Unlock()
	if recent {
		return ""
	}
	// The answer serves every later caller: do not let this caller's
	// cancellation (a finished webhook request) fail it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), botLookupTimeout)
	defer cancel()
	b, err := s.botAccount(ctx)
	if err != nil {
		s.log.Warn("jira: cannot look up the bridge's own account; set BOT_ACCOUNT", "err", err)
	}
	return b
}

// botForComments is the account to recognise the bridge's comments by.
// It is looked up only when a comment carries a marker: otherwise none
// can be the bridge's.
func (s *Source) botForComments(ctx context.Context, cs []wireComment) string {
	if b := s.knownBot(); b != "" || !anyMarked(cs) {
		return b
	}
	return s.botQuietly(ctx)
}

// mapping is the normalization with the bridge's account filled in, so
// its own changes are marked ByBridge even without BOT_ACCOUNT.
func (s *Source) mapping(ctx context.Context) Mapping {
	m := s.m
	m.BotAccount = s.botQuietly(ctx)
	return m
}
