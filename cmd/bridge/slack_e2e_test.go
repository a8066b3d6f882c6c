package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/accessbridge/accessbridge/adapters/jira/jirafake"
	"github.com/accessbridge/accessbridge/adapters/slack/slackfake"
)

const (
	e2eSlackSecret = "slack-signing-secret"
	e2eJiraHook    = "jira-hook-secret"
)

// slackWorld is bridge serve (in process) between a Jira fake and a Slack fake.
type slackWorld struct {
	jira   *jirafake.Fake
	slack  *slackfake.Server
	bridge string
}

var people = []struct{ slackID, email string }{
	{"U0ALICE", "alice.nguyen@example.com"}, {"U0MARIA", "maria.lopez@example.com"}, {"U0SARAH", "sarah.kim@example.com"},
	{"U0LI", "li.wei@example.com"}, {"U0BOB", "bob.smith@example.com"}, {"U0DANA", "dana.ceo@example.com"},
}

func newSlackWorld(t testing.TB) *slackWorld {
	t.Helper()
	var jusers []jirafake.User
	for _, p := range people {
		name, _, _ := strings.Cut(p.email, "@")
		jusers = append(jusers, jirafake.User{AccountID: "acc-" + name, Name: name, Email: p.email, DisplayName: name})
	}
	jusers = append(jusers, jirafake.User{AccountID: "acc-bridge", Name: "accessbridge", Email: "bridge@example.com", Token: "bridge-pat", Bot: true})
	w := &slackWorld{jira: jirafake.New(jirafake.ShowEmails(), jirafake.WithUsers(jusers...), jirafake.WithProjects("ACC")), slack: slackfake.New()}
	t.Cleanup(w.jira.Close)
	t.Cleanup(w.slack.Close)
	w.slack.SetToken("xoxb-test")
	for _, p := range people {
		w.slack.AddUser(slackfake.User{ID: p.slackID, Name: p.email, Email: p.email})
	}
	addr := freeAddr(t)
	w.bridge = "http://" + addr
	w.jira.SetWebhook(w.bridge+"/webhooks/jira", e2eJiraHook)
	env := map[string]string{
		"BRIDGE_ADDR": addr, "BRIDGE_DATA_DIR": t.TempDir(), "BRIDGE_POLICY": "testdata/slack-policy.yaml",
		"BRIDGE_DIRECTORY": "testdata/slack-people.csv", "BRIDGE_PUBLIC_URL": w.bridge, "BRIDGE_POLL_INTERVAL": "0s",
		"BRIDGE_RECONCILE_INTERVAL": "0s", "BRIDGE_WORKERS": "4",
		"BRIDGE_JIRA_URL": w.jira.URL(), "BRIDGE_JIRA_DEPLOYMENT": "datacenter", "BRIDGE_JIRA_PAT": "bridge-pat",
		"BRIDGE_JIRA_WEBHOOK_SECRET": e2eJiraHook, "BRIDGE_JIRA_PROJECTS": "ACC", "BRIDGE_JIRA_BOT_ACCOUNT": "accessbridge",
		"BRIDGE_JIRA_FIELD_MAP":      "resource:customfield_10050,role:customfield_10051,duration:customfield_10052,justification:customfield_10054",
		"BRIDGE_JIRA_RETRY_WAIT_MIN": "5ms", "BRIDGE_JIRA_RETRY_WAIT_MAX": "20ms",
		"BRIDGE_SLACK_SIGNING_SECRET": e2eSlackSecret, "BRIDGE_SLACK_BOT_TOKEN": "xoxb-test", "BRIDGE_SLACK_API_URL": w.slack.APIURL(),
		"BRIDGE_SLACK_RETRY_WAIT_MIN": "5ms", "BRIDGE_SLACK_RETRY_WAIT_MAX": "20ms",
	}
	cfg, err := loadServeConfig(context.Background(), envconfig.MapLookuper(env))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, slog.New(slog.NewTextHandler(testLog, &slog.HandlerOptions{Level: slog.LevelWarn})))
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	waitFor(t, "bridge ready", func() bool {
		resp, err := http.Get(w.bridge + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return w
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// command sends /access text as user; returns the HTTP status and the response_url used.
func (w *slackWorld) command(t testing.TB, user, text string, at time.Time, secret string) (int, string) {
	t.Helper()
	ru := w.slack.ResponseURL()
	form := url.Values{"command": {"/access"}, "text": {text}, "user_id": {user}, "team_id": {"T0TEST"},
		"channel_id": {"C0ACCESS"}, "response_url": {ru}, "trigger_id": {"1337." + user}}
	return do(t, slackfake.SignedCommand(w.bridge+"/slack/commands", secret, form, at)), ru
}

func (w *slackWorld) click(t testing.TB, user, action, value string) string {
	t.Helper()
	ru := w.slack.ResponseURL()
	payload := map[string]any{
		"type": "block_actions", "trigger_id": "1337.click." + user, "response_url": ru, "user": map[string]any{"id": user},
		"container": map[string]any{"type": "message", "message_ts": "1.1", "channel_id": "D1"},
		"actions":   []map[string]any{{"type": "button", "action_id": action, "block_id": "decide|" + value, "value": value, "action_ts": "1714557412.112233"}},
	}
	if code := do(t, slackfake.SignedInteraction(w.bridge+"/slack/interactions", e2eSlackSecret, payload, time.Now())); code != 200 {
		t.Fatalf("click answered %d", code)
	}
	return ru
}

func do(t testing.TB, r *http.Request) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (w *slackWorld) responses(ru string) string {
	var parts []string
	for _, p := range w.slack.Responses(ru) {
		parts = append(parts, p.AllText())
	}
	return strings.Join(parts, "\n")
}

func (w *slackWorld) dmText(user string) string {
	var parts []string
	for _, m := range w.slack.DMs(user) {
		parts = append(parts, m.AllText())
	}
	return strings.Join(parts, "\n")
}

func (w *slackWorld) bridgeComment(key string) string {
	for _, c := range w.jira.Comments(key) {
		if strings.Contains(c.Body, "Access policy verdict") {
			return c.Body
		}
	}
	return ""
}

// TestSlackRequestToAllowed walks one privileged request from the slash
// command to an allowed verdict, with every refusal along the way.
func TestSlackRequestToAllowed(t *testing.T) {
	w := newSlackWorld(t)
	if code, _ := w.command(t, "U0ALICE", "request prod-db write for 8h because migration", time.Now(), "forged"); code != http.StatusUnauthorized {
		t.Fatalf("forged signature answered %d", code)
	}
	if code, _ := w.command(t, "U0ALICE", "request prod-db write", time.Now().Add(-10*time.Minute), e2eSlackSecret); code != http.StatusUnauthorized {
		t.Fatalf("stale timestamp answered %d", code)
	}
	code, ru := w.command(t, "U0ALICE", "request prod-db write for 8h because schema migration", time.Now(), e2eSlackSecret)
	if code != http.StatusOK {
		t.Fatalf("command answered %d", code)
	}
	waitFor(t, "ticket link to requester", func() bool { return strings.Contains(w.responses(ru), "ACC-") })
	key := w.jira.Keys()[0]
	waitFor(t, "pending comment on the ticket", func() bool { return strings.Contains(w.bridgeComment(key), "PENDING") })
	waitFor(t, "approvers messaged", func() bool {
		return w.dmText("U0MARIA") != "" && w.dmText("U0SARAH") != "" && w.dmText("U0LI") != ""
	})
	for _, u := range []string{"U0BOB", "U0DANA", "U0ALICE"} {
		if strings.Contains(w.dmText(u), "Approve") {
			t.Fatalf("%s got an approval message: %q", u, w.dmText(u))
		}
	}
	value := "jira:" + key
	ru = w.click(t, "U0ALICE", "approve", value)
	waitFor(t, "self-approval refused", func() bool { return strings.Contains(w.responses(ru), "your own request") })
	ru = w.click(t, "U0BOB", "approve", value)
	waitFor(t, "refusal for a non-approver", func() bool { return w.responses(ru) != "" })
	if strings.Contains(w.bridgeComment(key), "bob.smith") {
		t.Fatal("a non-approver's click was counted")
	}
	w.click(t, "U0MARIA", "approve", value)
	waitFor(t, "manager approval mirrored", func() bool {
		for _, c := range w.jira.Comments(key) {
			if strings.Contains(c.Body, "maria.lopez@example.com") && strings.Contains(c.Body, "slack") {
				return true
			}
		}
		return false
	})
	w.click(t, "U0SARAH", "approve", value)
	waitFor(t, "allowed comment", func() bool { return strings.Contains(w.bridgeComment(key), "ALLOWED") })
	waitFor(t, "requester told", func() bool {
		return strings.Contains(strings.ToLower(w.dmText("U0ALICE")), "allowed") || strings.Contains(strings.ToLower(w.dmText("U0ALICE")), "approved")
	})
	waitFor(t, "manager's message updated in place", func() bool {
		for _, m := range w.slack.DMs("U0MARIA") {
			if _, hasApprove := m.Button("approve"); m.Versions > 1 && !hasApprove && strings.Contains(m.AllText(), "allowed") {
				return true
			}
		}
		return false
	})
	updates := w.slack.Calls("chat.update")
	ru = w.click(t, "U0SARAH", "approve", value) // duplicate click
	waitFor(t, "duplicate click answered", func() bool { return w.responses(ru) != "" })
	if w.slack.Calls("chat.update") != updates {
		t.Fatal("a duplicate click changed messages")
	}
	if n := len(w.jira.DuplicateComments()); n != 0 {
		t.Fatalf("duplicate comments: %v", w.jira.DuplicateComments())
	}
	bridgeComments := 0
	for _, c := range w.jira.Comments(key) {
		if strings.Contains(c.Body, "Access policy verdict") {
			bridgeComments++
		}
	}
	if bridgeComments != 1 {
		t.Fatalf("bridge verdict comments = %d, want 1 edited in place", bridgeComments)
	}
}

func (w *slackWorld) interact(t testing.TB, payload any) *http.Response {
	t.Helper()
	resp, err := http.DefaultClient.Do(slackfake.SignedInteraction(w.bridge+"/slack/interactions", e2eSlackSecret, payload, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func selected(v string) map[string]any {
	return map[string]any{"type": "static_select", "selected_option": map[string]any{"value": v}}
}

// TestSlackModalDenyThrottled files a request through the modal while Slack
// throttles a third of the calls, has the manager deny it with a reason,
// and checks that an unknown Slack user is refused and recorded.
func TestSlackModalDenyThrottled(t *testing.T) {
	w := newSlackWorld(t)
	w.slack.Throttle(0.3, 1)

	if code, ru := w.command(t, "U0NOBODY", "request prod-db read", time.Now(), e2eSlackSecret); code != 200 {
		t.Fatalf("unknown user's command answered %d", code)
	} else {
		waitFor(t, "unknown user refused", func() bool { return w.responses(ru) != "" || len(w.slack.Ephemerals("U0NOBODY")) > 0 })
	}

	if code, _ := w.command(t, "U0BOB", "", time.Now(), e2eSlackSecret); code != 200 {
		t.Fatalf("modal command answered %d", code)
	}
	views := w.slack.Views()
	if len(views) != 1 {
		t.Fatalf("views = %d", len(views))
	}
	v := views[0]
	resp := w.interact(t, map[string]any{
		"type": "view_submission", "user": map[string]any{"id": "U0BOB"},
		"view": map[string]any{"id": v.ID, "hash": v.Hash, "callback_id": "access_request", "private_metadata": v.PrivateMetadata,
			"state": map[string]any{"values": map[string]any{
				"resource":      map[string]any{"resource": selected("prod-db")},
				"role":          map[string]any{"role": selected("prod-db::read")},
				"duration":      map[string]any{"duration": map[string]any{"type": "plain_text_input", "value": "8h"}},
				"justification": map[string]any{"justification": map[string]any{"type": "plain_text_input", "value": "quarterly report"}},
			}}},
	})
	if resp.StatusCode != 200 {
		t.Fatalf("submission answered %d", resp.StatusCode)
	}
	waitFor(t, "ticket filed from the modal", func() bool { return len(w.jira.Keys()) == 1 })
	key := w.jira.Keys()[0]
	waitFor(t, "manager asked", func() bool { return strings.Contains(w.dmText("U0MARIA"), key) })
	if w.dmText("U0SARAH") != "" {
		t.Fatal("security was messaged for a read request that needs only the manager")
	}

	w.click(t, "U0MARIA", "deny", "jira:"+key)
	var deny slackfake.View
	waitFor(t, "deny reason modal", func() bool {
		for _, x := range w.slack.Views() {
			if x.CallbackID == "deny_reason" {
				deny = x
				return true
			}
		}
		return false
	})
	w.interact(t, map[string]any{
		"type": "view_submission", "user": map[string]any{"id": "U0MARIA"},
		"view": map[string]any{"id": deny.ID, "callback_id": "deny_reason", "private_metadata": deny.PrivateMetadata,
			"state": map[string]any{"values": map[string]any{"reason": map[string]any{"reason": map[string]any{"type": "plain_text_input", "value": "use the reporting replica"}}}}},
	})
	waitFor(t, "denied comment", func() bool {
		c := w.bridgeComment(key)
		return strings.Contains(c, "DENIED") && strings.Contains(c, "use the reporting replica")
	})
	waitFor(t, "requester told", func() bool { return strings.Contains(strings.ToLower(w.dmText("U0BOB")), "denied") })
	if w.slack.Calls("chat.postMessage") == 0 {
		t.Fatal("no messages reached Slack")
	}
}

// testLog receives the in-process bridge's warnings; set to os.Stderr to debug.
var testLog io.Writer = io.Discard
