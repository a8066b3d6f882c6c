package slack

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/policy"
)

func (e *env) notify(t *testing.T, st Status, prev policy.Verdict) {
	t.Helper()
	e.setStatus(st)
	if err := e.app.Notify(context.Background(), st, prev); err != nil {
		t.Fatalf("Notify: %v", err)
	}
}

func TestNotifyOnlyTheRightApprovers(t *testing.T) {
	e := newEnv(t)
	e.notify(t, pendingStatus(), "")
	for _, u := range []string{"UBOB", "UCAROL", "UDAVE"} {
		dms := e.fake.DMs(u)
		if len(dms) != 1 {
			t.Fatalf("%s got %d DMs", u, len(dms))
		}
		approve, ok := dms[0].Button(actionApprove)
		deny, _ := dms[0].Button(actionDeny)
		if !ok || approve.Value != "jira:ACC-17" || approve.Style != "primary" || deny.Style != "danger" || approve.BlockID == "" {
			t.Fatalf("%s buttons = %+v", u, dms[0].Buttons())
		}
		txt := dms[0].AllText()
		for _, want := range []string{"Access request ACC-17", "alice@example.com", "prod-db", "admin", "8h",
			"privileged_access / critical", "eligible", "INC-42 &lt;!channel&gt; outage", "manager (0 of 1)"} {
			if !strings.Contains(txt, want) {
				t.Errorf("%s message lacks %q:\n%s", u, want, txt)
			}
		}
	}
	for _, u := range []string{"UALICE", "UEVE", "ULEE", "UFRANK"} {
		if n := len(e.fake.DMs(u)); n != 0 {
			t.Errorf("%s was messaged (%d) but is not an approver", u, n)
		}
	}
	if got := len(e.store.msgs); got != 3 {
		t.Fatalf("stored %d messages, want 3", got)
	}
}

func TestNotifyGroupChannel(t *testing.T) {
	e := newEnv(t)
	e.app.cfg.ApproverChannel = map[string]string{"security": "CSEC"}
	e.fake.AddChannel("CSEC")
	e.notify(t, pendingStatus(), "")
	if n := len(e.fake.Messages("CSEC")); n != 1 {
		t.Fatalf("security channel got %d messages", n)
	}
	if len(e.fake.DMs("UCAROL")) != 0 || len(e.fake.DMs("UBOB")) != 1 {
		t.Fatal("group members were DMed although the group has a channel")
	}
}

func TestApproveByClick(t *testing.T) {
	e := newEnv(t)
	e.notify(t, pendingStatus(), "")
	ru := e.click(t, "UCAROL", actionApprove, "jira:ACC-17")
	if len(e.be.approvals) != 0 {
		t.Fatal("approval recorded inside the handler")
	}
	e.drain(t)
	if len(e.be.approvals) != 1 {
		t.Fatalf("approvals = %+v", e.be.approvals)
	}
	got := e.be.approvals[0]
	want := policy.Approval{By: "carol@example.com", Decision: policy.Approve, Channel: "slack", SourceUser: "UCAROL", At: e.clock}
	if got.ref != (bridge.Ref{Source: "jira", Key: "ACC-17"}) || got.a != want {
		t.Fatalf("approval = %+v, want %+v", got, want)
	}
	if txt := e.responses(ru); !strings.Contains(txt, "Recorded your approval of ACC-17") {
		t.Fatalf("clicker told %q", txt)
	}
	// The same click again records nothing new.
	ru = e.click(t, "UCAROL", actionApprove, "jira:ACC-17")
	e.drain(t)
	if len(e.be.approvals) != 1 || !strings.Contains(e.responses(ru), "already approved") {
		t.Fatalf("duplicate click: approvals=%d told %q", len(e.be.approvals), e.responses(ru))
	}
}

func TestClickRefused(t *testing.T) {
	cases := []struct{ name, user, want string }{
		{"self-approval", "UALICE", "your own request"},
		{"not in required group", "UEVE", "not one of the approvers"},
		{"left the company", "UFRANK", "end date"},
		{"not in directory", "UGHOST", "not in the directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.setStatus(pendingStatus())
			ru := e.click(t, tc.user, actionApprove, "jira:ACC-17")
			e.drain(t)
			if len(e.be.approvals) != 0 {
				t.Fatal("refused click was recorded")
			}
			if txt := e.responses(ru); !strings.Contains(txt, tc.want) {
				t.Fatalf("told %q, want %q", txt, tc.want)
			}
			if k := e.be.auditKinds(); len(k) != 1 || k[0] != "approval_refused" {
				t.Fatalf("audits = %v", k)
			}
		})
	}
}

func TestSubjectCannotApprove(t *testing.T) {
	e := newEnv(t)
	st := pendingStatus()
	st.Subject = "carol@example.com" // carol is in security but is the subject
	e.setStatus(st)
	ru := e.click(t, "UCAROL", actionApprove, "jira:ACC-17")
	e.drain(t)
	if len(e.be.approvals) != 0 || !strings.Contains(e.responses(ru), "your own request") {
		t.Fatalf("subject approved: %d, told %q", len(e.be.approvals), e.responses(ru))
	}
}

func TestDenyWithReason(t *testing.T) {
	e := newEnv(t)
	e.notify(t, pendingStatus(), "")
	ru := e.click(t, "UBOB", actionDeny, "jira:ACC-17")
	if len(e.be.jobs) != 0 {
		t.Fatal("deny click enqueued before the reason was given")
	}
	views := e.fake.Views()
	if len(views) != 1 || views[0].CallbackID != cbDeny || views[0].TriggerID != "1337.click.UBOB" {
		t.Fatalf("views = %+v", views)
	}
	submit := func(reason string) *httptest.ResponseRecorder {
		return e.interact(t, map[string]any{
			"type": "view_submission", "user": map[string]any{"id": "UBOB"},
			"view": map[string]any{"id": views[0].ID, "callback_id": cbDeny, "private_metadata": views[0].PrivateMetadata,
				"state": map[string]any{"values": map[string]any{"reason": map[string]any{"reason": map[string]any{"type": "plain_text_input", "value": reason}}}}},
		})
	}
	if w := submit("   "); !strings.Contains(w.Body.String(), `"response_action":"errors"`) {
		t.Fatalf("empty reason accepted: %s", w.Body)
	}
	if w := submit("no incident open"); w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Fatalf("reason submission: %d %s", w.Code, w.Body)
	}
	e.drain(t)
	if len(e.be.approvals) != 1 {
		t.Fatalf("approvals = %+v", e.be.approvals)
	}
	a := e.be.approvals[0].a
	if a.By != "bob@example.com" || a.Decision != policy.Deny || a.Reason != "no incident open" || a.SourceUser != "UBOB" {
		t.Fatalf("deny = %+v", a)
	}
	if txt := e.responses(ru); !strings.Contains(txt, "Recorded your denial") {
		t.Fatalf("told %q", txt)
	}
}

func TestMessagesUpdatedInPlace(t *testing.T) {
	e := newEnv(t)
	st := pendingStatus()
	e.notify(t, st, "")
	posts := e.fake.Calls("chat.postMessage")

	// bob approves: the manager requirement is met, security still open.
	st.Missing[0].Have = 1
	st.Approvers = []string{"bob@example.com"}
	e.notify(t, st, policy.Pending)
	if e.fake.Calls("chat.postMessage") != posts {
		t.Fatal("a second Notify posted new messages instead of updating")
	}
	bob := e.fake.DMs("UBOB")[0]
	if bob.Versions != 2 || len(bob.Buttons()) != 1 || !strings.Contains(bob.AllText(), "Approved by:* bob@example.com") {
		t.Fatalf("bob's message: v%d buttons=%+v\n%s", bob.Versions, bob.Buttons(), bob.AllText())
	}
	carol := e.fake.DMs("UCAROL")[0]
	if _, ok := carol.Button(actionApprove); !ok || carol.Versions != 2 || !strings.Contains(carol.AllText(), "group:security (0 of 1)") {
		t.Fatalf("carol's message: %+v", carol)
	}

	// carol approves: allowed. Buttons go, the requester hears.
	st.Missing, st.Approvers, st.Verdict = nil, []string{"bob@example.com", "carol@example.com"}, policy.Allowed
	e.notify(t, st, policy.Pending)
	for _, u := range []string{"UBOB", "UCAROL", "UDAVE"} {
		m := e.fake.DMs(u)[0]
		if _, ok := m.Button(actionApprove); ok || !strings.Contains(m.AllText(), "Decision:* :white_check_mark: allowed") {
			t.Fatalf("%s after allow: %+v", u, m)
		}
	}
	alice := e.fake.DMs("UALICE")
	if len(alice) != 1 || !strings.Contains(alice[0].Text, "was *allowed*") {
		t.Fatalf("alice's DMs = %+v", alice)
	}
	// The same verdict again tells her nothing new.
	e.notify(t, st, policy.Pending)
	if len(e.fake.DMs("UALICE")) != 1 {
		t.Fatal("requester told twice")
	}
}

func TestRequesterToldOnDenial(t *testing.T) {
	e := newEnv(t)
	st := pendingStatus()
	st.Verdict, st.Missing, st.Reasons = policy.Denied, nil, []string{"denied by bob@example.com: no incident open"}
	e.notify(t, st, policy.Pending)
	alice := e.fake.DMs("UALICE")
	if len(alice) != 1 || !strings.Contains(alice[0].Text, "*denied*") || !strings.Contains(alice[0].Text, "no incident open") {
		t.Fatalf("alice's DMs = %+v", alice)
	}
}

func TestTicketOnlyRuleHasNoButtons(t *testing.T) {
	e := newEnv(t)
	st := pendingStatus()
	st.Rule, st.Channels = "ticket-only", []string{"ticket"}
	e.notify(t, st, "")
	m := e.fake.DMs("UBOB")[0]
	if _, ok := m.Button(actionApprove); ok {
		t.Fatal("approve button on a ticket-only rule")
	}
	link, ok := m.Button(actionTicket)
	if !ok || link.URL != st.URL || !strings.Contains(m.AllText(), "approvals in the ticket") {
		t.Fatalf("buttons = %+v", m.Buttons())
	}
	// A forged click is refused too.
	ru := e.click(t, "UBOB", actionApprove, "jira:ACC-17")
	e.drain(t)
	if len(e.be.approvals) != 0 || !strings.Contains(e.responses(ru), "given in the ticket") {
		t.Fatalf("approvals=%d told %q", len(e.be.approvals), e.responses(ru))
	}
}

func TestReminderAndEscalation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	st := pendingStatus()
	e.notify(t, st, "")
	remind := func() {
		t.Helper()
		if err := e.app.Remind(ctx, st.Ticket); err != nil {
			t.Fatalf("Remind: %v", err)
		}
	}
	remind() // too early
	if len(e.fake.DMs("UBOB")) != 1 || len(e.be.audits) != 0 {
		t.Fatal("reminded before remind_after")
	}
	e.clock = e.clock.Add(4 * time.Hour)
	remind()
	bob := e.fake.DMs("UBOB")
	if len(bob) != 2 || !strings.Contains(bob[1].Text, "Reminder") || len(e.fake.DMs("UALICE")) != 0 {
		t.Fatalf("bob's DMs after reminder = %+v", bob)
	}
	remind() // nothing new right after a reminder
	if len(e.fake.DMs("UBOB")) != 2 {
		t.Fatal("reminded twice within remind_after")
	}
	e.clock = e.clock.Add(20 * time.Hour) // 24h since the request
	remind()
	lee := e.fake.DMs("ULEE")
	if len(lee) != 1 || !strings.Contains(lee[0].Text, "Escalation") || !strings.Contains(lee[0].Text, "1 days") && !strings.Contains(lee[0].Text, "24 hours") {
		t.Fatalf("lee's DMs = %+v", lee)
	}
	remind()
	if len(e.fake.DMs("ULEE")) != 1 {
		t.Fatal("escalated twice")
	}
	if got := e.be.auditKinds(); strings.Join(got, ",") != "reminder,escalation" {
		t.Fatalf("audits = %v", got)
	}
	// Decided tickets are left alone.
	st.Verdict = policy.Allowed
	e.setStatus(st)
	e.clock = e.clock.Add(48 * time.Hour)
	remind()
	if len(e.be.audits) != 2 {
		t.Fatal("reminded on a decided ticket")
	}
}

func TestEscalationFallsBackToConfiguredApprover(t *testing.T) {
	e := newEnv(t)
	e.app.cfg.FallbackApprover = "eve@example.com"
	e.be.pol = mustPolicy(strings.Replace(strings.Replace(testPolicyYAML, "escalate_after: 24h", "escalate_after: 1h", 1),
		"    escalate_to: group:it-leads\n", "", 1))
	st := pendingStatus()
	e.notify(t, st, "")
	e.clock = e.clock.Add(time.Hour)
	if err := e.app.Remind(context.Background(), st.Ticket); err != nil {
		t.Fatal(err)
	}
	if dms := e.fake.DMs("UEVE"); len(dms) != 1 || !strings.Contains(dms[0].Text, "Escalation") {
		t.Fatalf("eve's DMs = %+v", dms)
	}
}

func TestNotifyExpiry(t *testing.T) {
	e := newEnv(t)
	g := bridge.Grant{Ticket: bridge.Ref{Source: "jira", Key: "ACC-9"}, Subject: "svc-ci@example.com",
		Entitlement: policy.Entitlement{Resource: "prod-db", Role: "read"}, ExpiresAt: e.clock}
	for range 2 {
		if err := e.app.NotifyExpiry(context.Background(), g); err != nil {
			t.Fatal(err)
		}
	}
	dms := e.fake.DMs("UALICE") // the service account's owner
	if len(dms) != 1 || !strings.Contains(dms[0].Text, "has expired for svc-ci@example.com") {
		t.Fatalf("owner's DMs = %+v", dms)
	}
}

func TestSlack429RetriedAndSucceeds(t *testing.T) {
	e := newEnv(t)
	e.fake.FailNext("chat.postMessage", http.StatusTooManyRequests, 2, 0)
	e.notify(t, pendingStatus(), "")
	if n := len(e.fake.DMs("UBOB")) + len(e.fake.DMs("UCAROL")) + len(e.fake.DMs("UDAVE")); n != 3 {
		t.Fatalf("%d approval messages delivered, want 3", n)
	}
	if c := e.fake.Calls("chat.postMessage"); c != 5 {
		t.Fatalf("chat.postMessage calls = %d, want 5 (2 throttled)", c)
	}
}

func TestSlackErrorsMapToUpstreamError(t *testing.T) {
	cases := []struct {
		name      string
		inject    func(e *env)
		reason    string
		retryable bool
	}{
		{"429 exhausted", func(e *env) { e.fake.Throttle(1, 0) }, "throttled", true},
		{"long Retry-After handed back", func(e *env) { e.fake.FailNext("", http.StatusTooManyRequests, 1, 120) }, "throttled", true},
		{"5xx exhausted", func(e *env) { e.fake.FailNext("", http.StatusServiceUnavailable, 10, 0) }, "server_error", true},
		{"bad token", func(e *env) { e.fake.SetToken("xoxb-other") }, "auth", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			tc.inject(e)
			err := e.app.Notify(context.Background(), pendingStatus(), "")
			var ue *bridge.UpstreamError
			if !errors.As(err, &ue) || ue.Reason != tc.reason || ue.Retryable != tc.retryable || bridge.Retryable(err) != tc.retryable {
				t.Fatalf("err = %v (%+v)", err, ue)
			}
			if strings.Contains(err.Error(), slackTokenForTest) {
				t.Fatal("error leaks the token")
			}
		})
	}
}

const slackTokenForTest = "xoxb-fake-token"

func TestSelfApprovalWhenRuleAllows(t *testing.T) {
	e := newEnv(t)
	e.be.pol = mustPolicy(strings.Replace(testPolicyYAML, "    channels: [slack, ticket]\n", "    channels: [slack, ticket]\n    self_approval: true\n", 1))
	e.setStatus(pendingStatus())
	e.click(t, "UALICE", actionApprove, "jira:ACC-17") // alice is in security
	e.drain(t)
	if len(e.be.approvals) != 1 || e.be.approvals[0].a.By != "alice@example.com" {
		t.Fatalf("approvals = %+v", e.be.approvals)
	}
}
