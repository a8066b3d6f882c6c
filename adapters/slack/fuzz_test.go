package slack

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/accessbridge/accessbridge/adapters/slack/slackfake"
	"github.com/accessbridge/accessbridge/policy"
)

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"", "help", "request prod-db read for 8h because x", "request pg ADMIN for 2 weeks",
		"status jira:ACC-1", "request vpn because", "request prod-db read for 1e400h", "request prod-db read for .5d",
		"request \u00e9 for for because because", "mine"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, err := parseCommand(text, testCatalog, "jira")
		var ue *usageError
		if err != nil && !errors.As(err, &ue) {
			t.Fatalf("non-usage error %v", err)
		}
		if err != nil || cmd.kind != cmdRequest {
			return
		}
		res, ok := testCatalog.Resource(cmd.req.Resource)
		if !ok || res.Name != cmd.req.Resource {
			t.Fatalf("accepted unknown resource %q", cmd.req.Resource)
		}
		if cmd.req.Duration != "" {
			d, err := policy.ParseDuration(cmd.req.Duration)
			if err != nil || (res.MaxDuration > 0 && d > res.MaxDuration) {
				t.Fatalf("accepted duration %q: %v", cmd.req.Duration, err)
			}
		}
	})
}

func FuzzInteraction(f *testing.F) {
	for _, s := range []string{
		`{"type":"block_actions","user":{"id":"UBOB"},"actions":[{"action_id":"approve","block_id":"b","value":"jira:ACC-17"}]}`,
		`{"type":"block_actions","user":{"id":"UBOB"},"actions":[{"action_id":"deny","block_id":"b","value":"x:"}]}`,
		`{"type":"view_submission","user":{"id":"U"},"view":{"callback_id":"access_request","state":{"values":{"resource":{"resource":{"selected_option":{"value":"prod-db"}}}}}}}`,
		`{"type":"view_submission","user":{"id":"U"},"view":{"callback_id":"deny_reason","private_metadata":"{\"ref\":{}}"}}`,
		`{"type":"block_actions","actions":[{"action_id":"approve"}]}`,
		`not json`, `{"type":"view_submission","user":{"id":"U"},"view":{"callback_id":"access_request","state":{"values":null}}}`,
	} {
		f.Add(s)
	}
	e := newEnv(f)
	e.be.discard = true
	f.Fuzz(func(t *testing.T, payload string) {
		r := slackfake.SignedInteraction("http://b/slack/interactions", testSecret, payload, e.clock)
		w := httptest.NewRecorder()
		e.app.Interactions().ServeHTTP(w, r)
		if w.Code != http.StatusOK && w.Code != http.StatusBadRequest {
			t.Fatalf("status %d for %q", w.Code, payload)
		}
	})
}

// BenchmarkCommandAck measures a slash command from signed request to
// acknowledgement: verify, parse, validate, enqueue.
func BenchmarkCommandAck(b *testing.B) {
	e := newEnv(b)
	e.be.discard = true
	form := url.Values{"command": {"/access"}, "text": {"request prod-db read for 8h because INC-42"},
		"user_id": {"UALICE"}, "response_url": {e.fake.ResponseURL()}, "trigger_id": {"1.2.3"}}
	body := []byte(form.Encode())
	sig, ts := slackfake.Sign(testSecret, e.clock, body), e.clock.Unix()
	h := e.app.Commands()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest(http.MethodPost, "/slack/commands", bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("X-Slack-Request-Timestamp", itoa(ts))
			r.Header.Set("X-Slack-Signature", sig)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Submitting") {
				b.Fatalf("ack %d %s", w.Code, w.Body)
			}
		}
	})
}
