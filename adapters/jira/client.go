// Package jira is the Jira source (Cloud and Data Center): it normalizes
// issues into tickets, turns webhooks and polls into events, and applies
// the bridge's actions — one evidence comment edited in place, its own
// labels, an evidence issue property, and reverting gated transitions.
package jira

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	jira "github.com/andygrunwald/go-jira"
	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/accessbridge/accessbridge/bridge"
)

var (
	_ bridge.Source  = (*Source)(nil)
	_ bridge.Creator = (*Source)(nil)
)

// Source is the Jira source. It is safe for concurrent use.
type Source struct {
	cfg   Config
	log   *slog.Logger
	jc    *jira.Client
	m     Mapping
	cloud bool
	loc   *time.Location

	cache *issueCache // what Fetch read, so Apply need not read it again
	locks keyLocks    // comment writes, per issue

	botMu     sync.Mutex
	bot       string    // the authenticated account, from /myself
	botFailed time.Time // last failed lookup
}

// New builds the source and its one retrying HTTP client. It makes no
// request.
func New(cfg Config, log *slog.Logger) (*Source, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("source", "jira")
	loc, _ := time.LoadLocation(cfg.TimeZone)
	s := &Source{cfg: cfg, log: log, m: cfg.Mapping(), cloud: cfg.Deployment == Cloud, loc: loc, cache: newIssueCache(issueCacheSize)}
	jc, err := jira.NewClient(s.httpClient(), cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("jira: client: %w", err)
	}
	s.jc = jc
	if cfg.WebhookSecret == "" {
		log.Warn("jira webhook secret not set: webhook deliveries will be refused; polling only")
	}
	return s, nil
}

// Name is the source id.
func (s *Source) Name() string { return "jira" }

// Mapping is the normalization in use.
func (s *Source) Mapping() Mapping { return s.m }

// httpClient chains: go-jira auth transport → method tag → retryablehttp.
func (s *Source) httpClient() *http.Client {
	rc := retryablehttp.NewClient()
	rc.HTTPClient = cleanhttp.DefaultPooledClient()
	rc.HTTPClient.Timeout = s.cfg.Timeout
	rc.RetryWaitMin, rc.RetryWaitMax, rc.RetryMax = s.cfg.RetryWaitMin, s.cfg.RetryWaitMax, s.cfg.RetryMax
	rc.CheckRetry = s.checkRetry
	rc.Backoff = s.backoff
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler // let go-jira see the last 429/5xx
	rc.Logger = slogLeveled{s.log}
	tagged := methodTag{next: rc.StandardClient().Transport}
	if s.cloud {
		return (&jira.BasicAuthTransport{Username: s.cfg.Email, Password: s.cfg.APIToken.Reveal(), Transport: tagged}).Client()
	}
	return (&jira.PATAuthTransport{Token: s.cfg.PAT.Reveal(), Transport: tagged}).Client()
}

type idemKey struct{}

// methodTag records in the request context whether the request may be
// repeated safely, because CheckRetry sees only the context when the
// transport failed. POST to search/jql is a read.
type methodTag struct{ next http.RoundTripper }

func (t methodTag) RoundTrip(r *http.Request) (*http.Response, error) {
	idem := r.Method != http.MethodPost && r.Method != http.MethodPatch || strings.HasSuffix(r.URL.Path, "/search/jql")
	return t.next.RoundTrip(r.WithContext(context.WithValue(r.Context(), idemKey{}, idem)))
}

// checkRetry retries idempotent requests on 429, 5xx (not 501) and
// transport errors. A POST is retried only when it cannot have been
// applied: 429, 503 with Retry-After (Jira's "not now"), or a connection
// that was never made. A POST answered 5xx may have been applied; the
// pipeline's job retry re-runs the whole upsert instead, which finds it.
//
// A server-directed wait (Retry-After) of InlineRetryAfter or more is not
// slept through here: the error carries it and the job engine reschedules
// the job, so a throttled Jira does not park every worker.
func (s *Source) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok && d >= s.cfg.InlineRetryAfter {
			return false, nil
		}
	}
	return checkRetry(ctx, resp, err)
}

func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	idem, _ := ctx.Value(idemKey{}).(bool)
	if err != nil {
		if idem {
			return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
		}
		return notSent(err), nil
	}
	switch c := resp.StatusCode; {
	case c == http.StatusTooManyRequests:
		return true, nil
	case c == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "":
		return true, nil
	case c == 0 || c >= 500 && c != http.StatusNotImplemented:
		return idem, nil
	}
	return false, nil
}

// notSent reports a failure to connect: no byte of the request left.
func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns) || errors.Is(err, syscall.ECONNREFUSED)
}

// backoff honours Retry-After on 429/503, capped at MaxRetryAfter;
// otherwise exponential from RetryWaitMin to RetryWaitMax.
func (s *Source) backoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return min(d, s.cfg.MaxRetryAfter)
		}
	}
	return retryablehttp.DefaultBackoff(lo, hi, attempt, nil)
}

// retryAfter parses delta-seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(min(n, 86400)) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// call sends a request built with go-jira and decodes a 2xx body into
// out (nil: discard). Failures become *bridge.UpstreamError.
func (s *Source) call(ctx context.Context, op, method, path string, body, out any) (int, error) {
	req, err := s.jc.NewRequestWithContext(ctx, method, path, body)
	if err != nil {
		return 0, &bridge.UpstreamError{Op: op, Reason: "bad_request", Err: fmt.Errorf("%w: %v", bridge.ErrPermanent, err)}
	}
	resp, err := s.jc.Do(req, out)
	return s.finish(op, resp, err)
}

// finish closes the response and maps a failure.
func (s *Source) finish(op string, resp *jira.Response, err error) (int, error) {
	status := 0
	if resp != nil && resp.Response != nil {
		status = resp.StatusCode
		defer resp.Body.Close()
	}
	if err == nil {
		if resp != nil && resp.Body != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		}
		return status, nil
	}
	return status, upstreamError(op, resp, err)
}

// upstreamError classifies a failed call. The message comes from Jira's
// error body or the transport error, never from request headers.
func upstreamError(op string, resp *jira.Response, err error) *bridge.UpstreamError {
	ue := &bridge.UpstreamError{Op: op}
	if resp == nil || resp.Response == nil {
		ue.Reason, ue.Retryable = "transport", true
		ue.Err = err
		return ue
	}
	ue.Status = resp.StatusCode
	msg := errorDetail(resp, err)
	if c := resp.StatusCode; c == http.StatusTooManyRequests || c == http.StatusServiceUnavailable {
		ue.RetryAfter, _ = retryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	switch c := resp.StatusCode; {
	case c == http.StatusTooManyRequests:
		ue.Reason, ue.Retryable = "throttled", true
	case c >= 500:
		ue.Reason, ue.Retryable = "server_error", true
	case c == http.StatusUnauthorized:
		ue.Reason = "auth"
	case c == http.StatusForbidden:
		ue.Reason = "forbidden"
	case c == http.StatusNotFound:
		ue.Reason = "not_found"
		ue.Err = fmt.Errorf("%w: %s", bridge.ErrNotFound, msg)
		return ue
	default:
		ue.Reason = "bad_request"
	}
	if ue.Retryable {
		ue.Err = fmt.Errorf("HTTP %d: %s", ue.Status, msg)
	} else {
		ue.Err = fmt.Errorf("%w: HTTP %d: %s", bridge.ErrPermanent, ue.Status, msg)
	}
	return ue
}

// errorDetail extracts Jira's errorMessages/errors when go-jira parsed
// them, else reads a little of the body.
func errorDetail(resp *jira.Response, err error) string {
	var je *jira.Error
	if errors.As(err, &je) {
		parts := append([]string(nil), je.ErrorMessages...)
		for k, v := range je.Errors {
			parts = append(parts, k+": "+v)
		}
		if len(parts) > 0 {
			return strings.Join(parts, "; ")
		}
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
	if msg := parseErrorBody(b); msg != "" {
		return msg
	}
	return http.StatusText(resp.StatusCode)
}

// slogLeveled adapts slog to retryablehttp's LeveledLogger; its messages
// carry the method and a URL without credentials.
type slogLeveled struct{ l *slog.Logger }

func (a slogLeveled) Error(msg string, kv ...any) { a.l.Warn("jira http: "+msg, kv...) }
func (a slogLeveled) Info(msg string, kv ...any)  { a.l.Info("jira http: "+msg, kv...) }
func (a slogLeveled) Debug(msg string, kv ...any) { a.l.Debug("jira http: "+msg, kv...) }
func (a slogLeveled) Warn(msg string, kv ...any)  { a.l.Warn("jira http: "+msg, kv...) }
