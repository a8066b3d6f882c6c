package jira

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/accessbridge/accessbridge/adapters/jira/jirafake"
	"github.com/accessbridge/accessbridge/bridge"
)

func TestSignatureDocVector(t *testing.T) {
	body := []byte(`{"webhookEvent":"jira:issue_updated"}`)
	const want = "sha256=045e45e7959be812b3226f85f3b07435f040af653499798f9dab77936c8a1c9a"
	if err := verifySignature("jira-secret", want, body); err != nil {
		t.Fatalf("doc vector rejected: %v", err)
	}
	if got := jirafake.Sign("jira-secret", body); got != want {
		t.Fatalf("fake signs %s", got)
	}
}

func TestWebhookSignature(t *testing.T) {
	f := newFake(t, false)
	s := newSource(t, f, func(c *Config) { c.WebhookSecret = "hook-secret" })
	body := []byte(`{"webhookEvent":"jira:issue_created","issue":{"key":"ACC-1","fields":{"project":{"key":"ACC"}}}}`)
	tests := []struct {
		name, sig string
		ok        bool
	}{
		{"good", jirafake.Sign("hook-secret", body), true},
		{"wrong secret", jirafake.Sign("other", body), false},
		{"missing", "", false},
		{"sha1", "sha1=abcd", false},
		{"not hex", "sha256=zz", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/webhooks/jira", nil)
			if tc.sig != "" {
				r.Header.Set("X-Hub-Signature", tc.sig)
			}
			_, err := s.Webhook(r, body)
			if tc.ok != (err == nil) || (!tc.ok && !errors.Is(err, bridge.ErrUnauthorized)) {
				t.Errorf("err = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// TestWebhookEvents drives the fake as people and the bridge, and parses
// what the fake delivered.
func TestWebhookEvents(t *testing.T) {
	for _, d := range deployments {
		t.Run(d.name, func(t *testing.T) {
			f := newFake(t, d.cloud)
			sink := newHookSink(t, f, "s3")
			s := newSource(t, f, func(c *Config) { c.WebhookSecret = "s3"; c.BotAccount = botID(d.cloud) })
			key := request(t, f, nil)
			must(t, f.Transition("bob", key, "In Progress"))
			must(t, f.EditIssue("alice", key, map[string]any{"customfield_10051": "admin"}))
			_, err := f.AddComment("bob", key, "/approve")
			must(t, err)
			_, err = s.Apply(ctx(t), bridge.Action{Kind: bridge.ActionComment, Ticket: bridge.Ref{Source: "jira", Key: key}, Body: "Verdict: pending"})
			must(t, err)
			reqs, bodies := sink.take(f)
			var got []bridge.Event
			for i, r := range reqs {
				evs, err := s.Webhook(r, bodies[i])
				if err != nil {
					t.Fatalf("delivery %d: %v", i, err)
				}
				got = append(got, evs...)
			}
			want := []struct {
				kind, actor string
				by          bool
			}{
				{bridge.EventCreated, "alice@example.com", false},
				{bridge.EventTransitioned, "bob@example.com", false},
				{bridge.EventUpdated, "alice@example.com", false},
				{bridge.EventCommented, "bob@example.com", false},
				{bridge.EventCommented, "", true},
			}
			if len(got) != len(want) {
				t.Fatalf("got %d events: %+v", len(got), got)
			}
			for i, w := range want {
				e := got[i]
				if e.Kind != w.kind || e.ByBridge != w.by || (w.actor != "" && e.Actor.Email != w.actor) || e.Key != key || e.DeliveryID == "" || e.Revision == "" || e.At.IsZero() {
					t.Errorf("event %d = %+v, want %+v", i, e, w)
				}
			}
			if tr := got[1].Transition; tr == nil || tr.From != "Open" || tr.To != "In Progress" {
				t.Errorf("transition = %+v", tr)
			}
			if got[0].DeliveryID == got[1].DeliveryID {
				t.Error("delivery ids repeat")
			}
		})
	}
}

func botID(cloud bool) string {
	if cloud {
		return jirafake.BotAccountID
	}
	return jirafake.BotName
}

func TestWebhookRejects(t *testing.T) {
	f := newFake(t, false)
	s := newSource(t, f, func(c *Config) { c.IssueTypes = []string{"Access Request"}; c.WebhookSecret = "hook" })
	tests := []struct {
		name, body string
		want       error
	}{
		{"not json", `{"webhookEvent":`, bridge.ErrMalformed},
		{"no issue", `{"webhookEvent":"jira:issue_updated"}`, bridge.ErrMalformed},
		{"wrong type", `{"webhookEvent":"jira:issue_updated","issue":"x"}`, bridge.ErrMalformed},
		{"other project", `{"webhookEvent":"jira:issue_updated","issue":{"key":"HR-1","fields":{"project":{"key":"HR"},"issuetype":{"name":"Access Request"}}}}`, bridge.ErrIgnored},
		{"other type", `{"webhookEvent":"jira:issue_updated","issue":{"key":"ACC-1","fields":{"project":{"key":"ACC"},"issuetype":{"name":"Bug"}}}}`, bridge.ErrIgnored},
		{"other event", `{"webhookEvent":"worklog_created","issue":{"key":"ACC-1","fields":{"project":{"key":"ACC"},"issuetype":{"name":"Access Request"}}}}`, bridge.ErrIgnored},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r.Header.Set("X-Hub-Signature", jirafake.Sign("hook", []byte(tc.body)))
			_, err := s.Webhook(r, []byte(tc.body))
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("no secret configured", func(t *testing.T) {
		open := newSource(t, f)
		body := []byte(`{"webhookEvent":"jira:issue_updated","issue":{"key":"ACC-1","fields":{"project":{"key":"ACC"}}}}`)
		if _, err := open.Webhook(httptest.NewRequest(http.MethodPost, "/", nil), body); !errors.Is(err, bridge.ErrUnauthorized) {
			t.Errorf("unsigned delivery without a configured secret: err = %v, want unauthorized", err)
		}
	})
}

func TestWebhookDeletedAndFallbackID(t *testing.T) {
	body := `{"timestamp":1714557330123,"webhookEvent":"jira:issue_deleted","user":{"accountId":"acc-bob","emailAddress":"bob@example.com"},"issue":{"key":"ACC-3","fields":{"project":{"key":"ACC"},"updated":"2024-05-01T10:15:30.000+0000"}}}`
	evs, err := ParseWebhook([]byte(body), "", Mapping{}, Watch{Projects: []string{"ACC"}})
	if err != nil || len(evs) != 1 {
		t.Fatal(err)
	}
	e := evs[0]
	if e.Kind != bridge.EventDeleted || !strings.HasPrefix(e.DeliveryID, "sha256:") || e.Revision != "2024-05-01T10:15:30Z" || e.Actor.Email != "bob@example.com" {
		t.Errorf("event = %+v", e)
	}
	again, _ := ParseWebhook([]byte(body), "", Mapping{}, Watch{})
	if again[0].DeliveryID != e.DeliveryID {
		t.Error("fallback delivery id is not stable")
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestWebhookByBridgeFromMyself: without BOT_ACCOUNT the account from
// /myself (asked once) marks the bridge's own changes ByBridge — label
// edits and transitions, not only marked comments.
func TestWebhookByBridgeFromMyself(t *testing.T) {
	for _, d := range deployments {
		t.Run(d.name, func(t *testing.T) {
			f := newFake(t, d.cloud)
			sink := newHookSink(t, f, "hook")
			s := newSource(t, f, func(c *Config) { c.WebhookSecret = "hook" })
			key := request(t, f, nil)
			a := act(bridge.ActionLabel, key)
			a.Labels = []string{"access-pending"}
			_, err := s.Apply(ctx(t), a)
			must(t, err)
			must(t, f.Transition("bob", key, "In Progress"))
			rev := act(bridge.ActionRevert, key)
			rev.Revert = &bridge.Transition{From: "In Progress", To: "Waiting for approval"}
			_, err = s.Apply(ctx(t), rev)
			must(t, err)
			f.ResetCalls()
			reqs, bodies := sink.take(f)
			var by []bool
			for i, r := range reqs {
				evs, err := s.Webhook(r, bodies[i])
				must(t, err)
				by = append(by, evs[0].ByBridge)
			}
			// created (alice), labels (bridge), transition (bob), revert (bridge)
			if want := []bool{false, true, false, true}; !slices.Equal(by, want) {
				t.Errorf("ByBridge = %v, want %v", by, want)
			}
			if n := f.Calls()["GET /rest/api/2/myself"]; n != 1 {
				t.Errorf("/myself asked %d times", n)
			}
		})
	}
}
