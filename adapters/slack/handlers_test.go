package slack

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accessbridge/accessbridge/adapters/slack/slackfake"
)

func TestSignatureRejected(t *testing.T) {
	body := url.Values{"command": {"/access"}, "text": {"request vpn"}, "user_id": {"UALICE"}}.Encode()
	cases := []struct {
		name  string
		setup func(r *http.Request, now time.Time)
	}{
		{"forged", func(r *http.Request, now time.Time) {
			r.Header.Set("X-Slack-Signature", slackfake.Sign("not-the-secret", now, []byte(body)))
		}},
		{"stale timestamp", func(r *http.Request, now time.Time) { resign(r, now.Add(-6*time.Minute), body) }},
		{"future timestamp", func(r *http.Request, now time.Time) { resign(r, now.Add(6*time.Minute), body) }},
		{"missing signature", func(r *http.Request, _ time.Time) { r.Header.Del("X-Slack-Signature") }},
		{"missing timestamp", func(r *http.Request, _ time.Time) { r.Header.Del("X-Slack-Request-Timestamp") }},
		{"garbage signature", func(r *http.Request, _ time.Time) { r.Header.Set("X-Slack-Signature", "v0=zz") }},
		{"body changed", func(r *http.Request, now time.Time) {
			r.Header.Set("X-Slack-Signature", slackfake.Sign(testSecret, now, []byte(body+"x")))
		}},
	}
	for _, tc := range cases {
		for _, ep := range []string{"commands", "interactions"} {
			t.Run(tc.name+"/"+ep, func(t *testing.T) {
				e := newEnv(t)
				r := httptest.NewRequest(http.MethodPost, "/slack/"+ep, strings.NewReader(body))
				resign(r, e.clock, body)
				tc.setup(r, e.clock)
				w := httptest.NewRecorder()
				handler(e, ep).ServeHTTP(w, r)
				if w.Code != http.StatusUnauthorized {
					t.Fatalf("status %d, want 401", w.Code)
				}
				if len(e.be.jobs) != 0 || e.fake.Calls("views.open") != 0 {
					t.Fatal("a rejected request did work")
				}
			})
		}
	}
}

func TestSignatureWindowEdgeAccepted(t *testing.T) {
	e := newEnv(t)
	for _, skew := range []time.Duration{-5 * time.Minute, 5 * time.Minute} {
		form := url.Values{"command": {"/access"}, "text": {"help"}, "user_id": {"UALICE"}}
		w := httptest.NewRecorder()
		e.app.Commands().ServeHTTP(w, slackfake.SignedCommand("http://b/slack/commands", testSecret, form, e.clock.Add(skew)))
		if w.Code != http.StatusOK {
			t.Fatalf("skew %v: status %d", skew, w.Code)
		}
	}
}

func TestBodyLimitAndMethod(t *testing.T) {
	e := newEnv(t)
	big := url.Values{"command": {"/access"}, "text": {strings.Repeat("x", maxBody)}}
	w := httptest.NewRecorder()
	e.app.Commands().ServeHTTP(w, slackfake.SignedCommand("http://b/slack/commands", testSecret, big, e.clock))
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body: %d, want 413", w.Code)
	}
	w = httptest.NewRecorder()
	e.app.Interactions().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/slack/interactions", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %d, want 405", w.Code)
	}
}

func handler(e *env, ep string) http.Handler {
	if ep == "commands" {
		return e.app.Commands()
	}
	return e.app.Interactions()
}

func resign(r *http.Request, ts time.Time, body string) {
	r.Header.Set("X-Slack-Request-Timestamp", itoa(ts.Unix()))
	r.Header.Set("X-Slack-Signature", slackfake.Sign(testSecret, ts, []byte(body)))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
