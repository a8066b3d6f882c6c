package slackfake_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/slack-go/slack"

	"github.com/accessbridge/accessbridge/adapters/slack/slackfake"
)

func newFake(t *testing.T) *slackfake.Server {
	t.Helper()
	f := slackfake.New()
	t.Cleanup(f.Close)
	f.AddUser(slackfake.User{ID: "U1", Name: "ana", Email: "ana@example.com"})
	f.AddUser(slackfake.User{ID: "U2", Name: "gone", Email: "gone@example.com", Deleted: true})
	f.AddChannel("C1")
	return f
}

func client(f *slackfake.Server, token string) *slack.Client {
	return slack.New(token, slack.OptionAPIURL(f.APIURL()))
}

func TestSignTestVector(t *testing.T) {
	got := slackfake.Sign("s3cr3t-signing", time.Unix(1700000000, 0),
		[]byte("command=%2Faccess&text=grant+prod-db&user_id=U0TEST01"))
	const want = "v0=aaa146d165ed5ede270e3ee317eab9efb35f0f350c0c42d184eb95f832a42bb0"
	if got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestSignedRequestVerifiesWithSlackGo(t *testing.T) {
	r := slackfake.SignedInteraction("http://127.0.0.1/x", "sec", map[string]string{"type": "block_actions"}, time.Now())
	sv, err := slack.NewSecretsVerifier(r.Header, "sec")
	if err != nil {
		t.Fatal(err)
	}
	body := new(strings.Builder)
	buf := make([]byte, 512)
	n, _ := r.Body.Read(buf)
	body.Write(buf[:n])
	_, _ = sv.Write([]byte(body.String()))
	if err := sv.Ensure(); err != nil {
		t.Fatalf("slack-go rejects the fake's signature: %v", err)
	}
}

func TestAuth(t *testing.T) {
	f := newFake(t)
	for _, tc := range []struct{ token, want string }{{"", "not_authed"}, {"xoxb-wrong", "invalid_auth"}} {
		_, _, err := client(f, tc.token).PostMessage("C1", slack.MsgOptionText("hi", false))
		var se slack.SlackErrorResponse
		if !errors.As(err, &se) || se.Err != tc.want {
			t.Errorf("token %q: err = %v, want %s", tc.token, err, tc.want)
		}
	}
	// Bearer header (JSON methods such as views.open use it).
	_, err := client(f, slackfake.DefaultToken).OpenView("trig", slack.ModalViewRequest{
		Type: slack.VTModal, Title: slack.NewTextBlockObject("plain_text", "T", false, false)})
	if err != nil {
		t.Fatalf("views.open with bearer token: %v", err)
	}
}

func TestMessagesUpdateInPlace(t *testing.T) {
	f := newFake(t)
	c := client(f, slackfake.DefaultToken)
	btn := slack.NewButtonBlockElement("approve", "jira:ACC-1", slack.NewTextBlockObject("plain_text", "Approve", false, false))
	ch, ts, err := c.PostMessage("U1", slack.MsgOptionText("approve?", false),
		slack.MsgOptionBlocks(slack.NewActionBlock("b1", btn)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ch, "D") {
		t.Fatalf("posting to a user id should land in a DM, got %s", ch)
	}
	if b, ok := f.DMs("U1")[0].Button("approve"); !ok || b.Value != "jira:ACC-1" || b.BlockID != "b1" {
		t.Fatalf("button = %+v", b)
	}
	if _, _, _, err := c.UpdateMessage(ch, ts, slack.MsgOptionText("done", false), slack.MsgOptionBlocks()); err != nil {
		t.Fatal(err)
	}
	dms := f.DMs("U1")
	if len(dms) != 1 || dms[0].Text != "done" || dms[0].Versions != 2 || len(dms[0].Buttons()) != 0 {
		t.Fatalf("after update: %+v", dms)
	}
	_, _, _, err = c.UpdateMessage(ch, "1.2", slack.MsgOptionText("x", false))
	if !isSlackErr(err, "message_not_found") {
		t.Fatalf("update unknown ts: %v", err)
	}
}

func TestSlackErrors(t *testing.T) {
	f := newFake(t)
	c := client(f, slackfake.DefaultToken)
	ctx := context.Background()
	cases := []struct {
		name string
		call func() error
		want string
	}{
		{"unknown channel", func() error { _, _, err := c.PostMessage("C404", slack.MsgOptionText("x", false)); return err }, "channel_not_found"},
		{"no text", func() error { _, _, err := c.PostMessage("C1"); return err }, "no_text"},
		{"unknown user", func() error { _, err := c.GetUserInfoContext(ctx, "U404"); return err }, "user_not_found"},
		{"unknown email", func() error { _, err := c.GetUserByEmailContext(ctx, "x@example.com"); return err }, "users_not_found"},
		{"deleted email", func() error { _, err := c.GetUserByEmailContext(ctx, "gone@example.com"); return err }, "users_not_found"},
		{"ephemeral to unknown user", func() error { _, err := c.PostEphemeral("C1", "U404", slack.MsgOptionText("x", false)); return err }, "user_not_found"},
	}
	for _, tc := range cases {
		if err := tc.call(); !isSlackErr(err, tc.want) {
			t.Errorf("%s: err = %v, want %s", tc.name, err, tc.want)
		}
	}
}

func TestInvalidBlocks(t *testing.T) {
	f := newFake(t)
	resp, err := http.PostForm(f.APIURL()+"chat.postMessage", map[string][]string{
		"token": {slackfake.DefaultToken}, "channel": {"C1"}, "text": {"x"}, "blocks": {`{"type":"section"}`}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := decode(resp, &body); err != nil || body.OK || body.Error != "invalid_blocks" {
		t.Fatalf("body = %+v, err = %v", body, err)
	}
}

func TestUsersAndDMs(t *testing.T) {
	f := newFake(t)
	c := client(f, slackfake.DefaultToken)
	u, err := c.GetUserInfo("U1")
	if err != nil || u.Profile.Email != "ana@example.com" {
		t.Fatalf("users.info = %+v, %v", u, err)
	}
	ch, _, _, err := c.OpenConversation(&slack.OpenConversationParameters{Users: []string{"U1"}})
	if err != nil || !strings.HasPrefix(ch.ID, "D") {
		t.Fatalf("conversations.open = %+v, %v", ch, err)
	}
	if _, _, err := c.PostMessage(ch.ID, slack.MsgOptionText("hello", false)); err != nil {
		t.Fatal(err)
	}
	if got := f.DMs("U1"); len(got) != 1 || got[0].Text != "hello" {
		t.Fatalf("DMs = %+v", got)
	}
	if f.Calls("conversations.open") != 1 || f.Calls("chat.postMessage") != 1 {
		t.Fatalf("counters: open=%d post=%d", f.Calls("conversations.open"), f.Calls("chat.postMessage"))
	}
}

func TestViews(t *testing.T) {
	f := newFake(t)
	c := client(f, slackfake.DefaultToken)
	sel := slack.NewOptionsSelectBlockElement("static_select", nil, "pick",
		slack.NewOptionBlockObject("a", slack.NewTextBlockObject("plain_text", "A", false, false), nil))
	view := slack.ModalViewRequest{Type: slack.VTModal, CallbackID: "cb",
		Title:  slack.NewTextBlockObject("plain_text", "Title", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewInputBlock("res", slack.NewTextBlockObject("plain_text", "Resource", false, false), nil, sel)}}}
	resp, err := c.OpenView("trig", view)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateView(view, "", "stale", resp.ID); !isSlackErr(err, "hash_conflict") {
		t.Fatalf("stale hash: %v", err)
	}
	if _, err := c.UpdateView(view, "", resp.Hash, resp.ID); err != nil {
		t.Fatal(err)
	}
	vs := f.Views()
	b, ok := vs[0].Block("res")
	if len(vs) != 1 || vs[0].Versions != 2 || !ok || len(b.Options) != 1 || b.Options[0].Value != "a" {
		t.Fatalf("views = %+v", vs)
	}
	if _, err := c.OpenView("", view); err == nil {
		t.Fatal("views.open without trigger_id succeeded")
	}
}

func TestThrottleAndRetry(t *testing.T) {
	f := newFake(t)
	f.Throttle(1, 7)
	_, _, err := client(f, slackfake.DefaultToken).PostMessage("C1", slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second {
		t.Fatalf("err = %v, want RateLimitedError 7s", err)
	}
	f.Throttle(0, 0)
	f.FailNext("chat.postMessage", http.StatusTooManyRequests, 2, 0)
	rc := retryablehttp.NewClient()
	rc.Logger = nil
	rc.RetryWaitMin, rc.RetryWaitMax = time.Millisecond, 5*time.Millisecond
	c := slack.New(slackfake.DefaultToken, slack.OptionAPIURL(f.APIURL()), slack.OptionHTTPClient(rc.StandardClient()))
	if _, _, err := c.PostMessage("C1", slack.MsgOptionText("x", false)); err != nil {
		t.Fatalf("retried post: %v", err)
	}
	if n := f.Calls("chat.postMessage"); n != 4 || len(f.Messages("C1")) != 1 {
		t.Fatalf("calls = %d, messages = %d; want 4 calls and 1 message", n, len(f.Messages("C1")))
	}
}

func TestThrottleShareIsDeterministic(t *testing.T) {
	f := newFake(t)
	f.Throttle(0.25, 0)
	c := client(f, slackfake.DefaultToken)
	limited := 0
	for range 8 {
		if _, err := c.AuthTest(); err != nil {
			limited++
		}
	}
	if limited != 2 {
		t.Fatalf("%d of 8 calls throttled, want 2", limited)
	}
}

func TestFailAfterApplyDuplicates(t *testing.T) {
	f := newFake(t)
	f.FailAfterApply("chat.postMessage", http.StatusInternalServerError, 1)
	_, _, err := client(f, slackfake.DefaultToken).PostMessage("C1", slack.MsgOptionText("x", false))
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != 500 || len(f.Messages("C1")) != 1 {
		t.Fatalf("err = %v, messages = %d", err, len(f.Messages("C1")))
	}
}

func TestResponseURL(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		f := newFake(t)
		f.ResponsesJSON(asJSON)
		c := client(f, slackfake.DefaultToken)
		u := f.ResponseURL()
		for i := range 6 {
			_, _, _, err := c.SendMessage("", slack.MsgOptionResponseURL(u, slack.ResponseTypeEphemeral), slack.MsgOptionText("hi", false))
			if (err != nil) != (i == 5) {
				t.Fatalf("json=%v post %d: err = %v", asJSON, i+1, err)
			}
		}
		posts := f.Responses(u)
		if len(posts) != 5 || posts[0].Text != "hi" || posts[0].ResponseType != "ephemeral" {
			t.Fatalf("posts = %+v", posts)
		}
		if f.ResponseURL() == u {
			t.Fatal("response URLs are not unique")
		}
	}
}

func isSlackErr(err error, code string) bool {
	var se slack.SlackErrorResponse
	return errors.As(err, &se) && se.Err == code
}
