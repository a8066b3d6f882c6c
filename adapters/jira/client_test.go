package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/accessbridge/accessbridge/adapters/jira/jirafake"
	"github.com/accessbridge/accessbridge/bridge"
)

func TestRetries(t *testing.T) {
	const get = "GET /rest/api/2/issue/{key}"
	tests := []struct {
		name      string
		status    int
		n         int
		calls     int
		ok        bool
		reason    string
		retryable bool
	}{
		{"429 then ok", 429, 2, 3, true, "", false},
		{"5xx then ok", 500, 2, 3, true, "", false},
		{"503 then ok", 503, 1, 2, true, "", false},
		{"429 exhausted keeps last response", 429, 10, 4, false, "throttled", true},
		{"500 exhausted", 502, 10, 4, false, "server_error", true},
		{"400 not retried", 400, 1, 1, false, "bad_request", false},
		{"401 not retried", 401, 1, 1, false, "auth", false},
		{"403 not retried", 403, 1, 1, false, "forbidden", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, true)
			s := newSource(t, f)
			key := request(t, f, nil)
			f.ResetCalls()
			f.FailNext(tc.n, tc.status, false)
			_, err := s.Fetch(ctx(t), key)
			if got := f.Calls()[get]; got != tc.calls {
				t.Errorf("calls = %d, want %d", got, tc.calls)
			}
			if tc.ok {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var ue *bridge.UpstreamError
			if !errors.As(err, &ue) || ue.Reason != tc.reason || ue.Retryable != tc.retryable || ue.Status != tc.status {
				t.Fatalf("err = %#v", err)
			}
		})
	}
}

func TestPostRetryPolicy(t *testing.T) {
	tests := []struct {
		name   string
		status int
		posts  int
	}{
		{"500 not repeated", 500, 1},
		{"429 repeated", 429, 2},
		{"503 with Retry-After repeated", 503, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, false)
			s := newSource(t, f, func(c *Config) { c.BotAccount = jirafake.BotName })
			key := request(t, f, nil)
			f.ResetCalls()
			f.FailNext(1, tc.status, false)
			_, _ = s.postComment(ctx(t), key, "x", evidenceMarker("x"))
			if got := f.Calls()["POST /rest/api/2/issue/{key}/comment"]; got != tc.posts {
				t.Errorf("posts = %d, want %d", got, tc.posts)
			}
		})
	}
}

func TestCheckRetryTransport(t *testing.T) {
	dial := &net.OpError{Op: "dial", Err: errors.New("connection refused")}
	read := &net.OpError{Op: "read", Err: errors.New("connection reset")}
	for _, tc := range []struct {
		idem bool
		err  error
		want bool
	}{{true, dial, true}, {false, dial, true}, {true, read, true}, {false, read, false}} {
		c := context.WithValue(context.Background(), idemKey{}, tc.idem)
		if got, _ := checkRetry(c, nil, tc.err); got != tc.want {
			t.Errorf("idem=%v %v: retry=%v", tc.idem, tc.err, got)
		}
	}
}

func TestBackoffHonoursRetryAfter(t *testing.T) {
	s := &Source{cfg: Config{MaxRetryAfter: time.Minute}}
	now := time.Now()
	tests := []struct {
		status int
		header string
		want   time.Duration
	}{
		{429, "7", 7 * time.Second},
		{503, "7", 7 * time.Second},
		{429, "600", time.Minute}, // capped
		{429, now.Add(30 * time.Second).UTC().Format(http.TimeFormat), 30 * time.Second},
		{500, "7", 4 * time.Millisecond}, // not for 500: exponential
		{429, "soon", 4 * time.Millisecond},
	}
	for _, tc := range tests {
		resp := &http.Response{StatusCode: tc.status, Header: http.Header{"Retry-After": {tc.header}}}
		got := s.backoff(time.Millisecond, 10*time.Millisecond, 2, resp)
		if got > tc.want || got < tc.want-2*time.Second {
			t.Errorf("%d %q: %v, want %v", tc.status, tc.header, got, tc.want)
		}
	}
}

func TestThrottledFakeHonoured(t *testing.T) {
	f := newFake(t, true, jirafake.WithSeed(3))
	s := newSource(t, f, func(c *Config) { c.RetryMax = 20 })
	key := request(t, f, nil)
	f.Throttle(0.5, 0)
	for range 10 {
		if _, err := s.Fetch(ctx(t), key); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.Calls()["GET /rest/api/2/issue/{key}"]; n <= 10 {
		t.Errorf("calls = %d: throttling never struck", n)
	}
}

// TestSecretsNeverLeak checks config printing and every error path.
func TestSecretsNeverLeak(t *testing.T) {
	const token, pat, hook = "tok-SECRET-1", "pat-SECRET-2", "hook-SECRET-3"
	cfg := Config{URL: "http://127.0.0.1:1", Deployment: Cloud, Email: "a@b.c", APIToken: token, PAT: pat, WebhookSecret: hook, Projects: []string{"ACC"},
		RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond, RetryMax: 1}
	js, _ := json.Marshal(cfg)
	var logs strings.Builder
	dump := fmt.Sprintf("%v %+v %#v %s %s", cfg, cfg, cfg, js, cfg.APIToken)
	s, err := New(cfg, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	must(t, err)
	_, err1 := s.Fetch(ctx(t), "ACC-1") // connection refused
	f := newFake(t, true)
	cfg.URL = f.URL()
	s2, _ := New(cfg, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	_, err2 := s2.Fetch(ctx(t), "ACC-1") // 401
	_, err3 := s2.Webhook(mustReq(t), []byte(`{}`))
	bad := cfg
	bad.URL = "https://user:" + token + "@jira.example.com"
	_, err4 := New(bad, nil)
	var ue *bridge.UpstreamError
	if !errors.As(err2, &ue) || ue.Reason != "auth" || ue.Retryable {
		t.Errorf("401: %v", err2)
	}
	all := dump + logs.String() + fmt.Sprint(err1, err2, err3, err4)
	for _, secret := range []string{token, pat, hook} {
		if strings.Contains(all, secret) {
			t.Errorf("secret %q leaked in: %s", secret, all)
		}
	}
	if err4 == nil {
		t.Error("URL with credentials accepted")
	}
}

func mustReq(t *testing.T) *http.Request {
	r, err := http.NewRequest(http.MethodPost, "http://x/", nil)
	must(t, err)
	return r
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no url", Config{Deployment: Cloud, Email: "e", APIToken: "t", Projects: []string{"A"}}, "URL"},
		{"cloud without token", Config{URL: "https://x", Deployment: Cloud, Projects: []string{"A"}}, "API_TOKEN"},
		{"dc without pat", Config{URL: "https://x", Deployment: "datacenter", Projects: []string{"A"}}, "PAT"},
		{"bad deployment", Config{URL: "https://x", Deployment: "mars", Projects: []string{"A"}}, "DEPLOYMENT"},
		{"no projects", Config{URL: "https://x", Deployment: "dc", PAT: "p"}, "PROJECTS"},
	}
	for _, tc := range tests {
		if _, err := New(tc.cfg, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
