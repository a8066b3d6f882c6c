package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/slack-go/slack"

	"github.com/accessbridge/accessbridge/bridge"
)

// maxRetryAfter is the longest Retry-After the client sleeps through inline;
// a longer one is handed back as a retryable throttled error so the job is
// rescheduled instead of holding a worker.
const maxRetryAfter = 30 * time.Second

// newHTTPClient is the one retrying client every Slack call goes through
// (slack-go's own retry stays off). It honours Retry-After on 429 and hands
// the last response back on exhaustion so slack-go reports the real status.
func newHTTPClient(cfg Config, log *slog.Logger) *http.Client {
	rc := retryablehttp.NewClient()
	rc.RetryWaitMin, rc.RetryWaitMax, rc.RetryMax = cfg.RetryWaitMin, cfg.RetryWaitMax, cfg.RetryMax
	rc.HTTPClient.Timeout = 10 * time.Second
	rc.Logger = nil // URLs may carry response_url secrets; we log outcomes ourselves
	rc.CheckRetry = checkRetry
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	rc.RequestLogHook = func(_ retryablehttp.Logger, r *http.Request, attempt int) {
		if attempt > 0 {
			log.Debug("slack retry", "path", r.URL.Path, "attempt", attempt)
		}
	}
	return rc.StandardClient()
}

func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
		if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && time.Duration(s)*time.Second > maxRetryAfter {
			return false, nil
		}
	}
	return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
}

// Slack error codes that retrying can fix.
var retryableCodes = map[string]bool{
	"ratelimited": true, "internal_error": true, "fatal_error": true,
	"service_unavailable": true, "request_timeout": true,
}

// Slack error codes with a stable reason of their own (metric labels).
var codeReasons = map[string]string{
	"invalid_auth": "auth", "not_authed": "auth", "account_inactive": "auth",
	"token_revoked": "auth", "token_expired": "auth", "missing_scope": "auth",
	"channel_not_found": "not_found", "user_not_found": "not_found", "users_not_found": "not_found",
	"message_not_found": "not_found", "not_found": "not_found",
	"invalid_blocks": "bad_request", "no_text": "bad_request", "invalid_arguments": "bad_request",
	"expired_trigger_id": "expired_trigger", "invalid_trigger_id": "expired_trigger",
	"hash_conflict": "conflict", "cant_update_message": "bad_request", "edit_window_closed": "bad_request",
}

// upstream maps a slack-go error to *bridge.UpstreamError. URLs are
// stripped from transport errors: a response_url is a bearer credential.
func upstream(op string, err error) error {
	if err == nil {
		return nil
	}
	ue := &bridge.UpstreamError{Op: op, Err: err}
	var (
		rl   *slack.RateLimitedError
		sc   slack.StatusCodeError
		se   slack.SlackErrorResponse
		uerr *url.Error
	)
	switch {
	case errors.As(err, &rl):
		ue.Status, ue.Reason, ue.Retryable = http.StatusTooManyRequests, "throttled", true
	case errors.As(err, &sc):
		ue.Status = sc.Code
		ue.Reason, ue.Retryable = statusReason(sc.Code)
		if !ue.Retryable {
			ue.Err = fmt.Errorf("%w (%w)", err, bridge.ErrPermanent)
		}
	case errors.As(err, &se):
		ue.Status = http.StatusOK
		ue.Reason = codeReasons[se.Err]
		if ue.Reason == "" {
			ue.Reason = "slack_error"
		}
		ue.Retryable = retryableCodes[se.Err]
		if !ue.Retryable {
			ue.Err = fmt.Errorf("%w (%w)", err, bridge.ErrPermanent)
		}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		ue.Reason, ue.Retryable = "timeout", true
	case errors.As(err, &uerr):
		ue.Reason, ue.Retryable, ue.Err = "transport", true, fmt.Errorf("%s: %w", uerr.Op, uerr.Err)
	default:
		ue.Reason, ue.Retryable = "transport", true
	}
	return ue
}

func statusReason(code int) (string, bool) {
	switch {
	case code == http.StatusTooManyRequests:
		return "throttled", true
	case code >= 500 && code != http.StatusNotImplemented:
		return "server_error", true
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return "auth", false
	case code == http.StatusNotFound:
		return "not_found", false
	}
	return "bad_request", false
}

// slackCode returns the Slack error code inside err, if any.
func slackCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}
