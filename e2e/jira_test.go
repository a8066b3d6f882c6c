package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accessbridge/accessbridge/adapters/jira/jirafake"
	"github.com/accessbridge/accessbridge/bridge/store"
)

// People of examples/people.csv playing their parts.
const (
	requester = "alice.nguyen" // engineer; manager maria.lopez
	manager   = "maria.lopez"
	agent     = "mike.turner" // helpdesk technician who moves tickets
	outsider  = "bob.smith"   // a peer: not an approver for alice
)

// jiraEnv is one bridge watching one fake.
type jiraEnv struct {
	f       *jirafake.Fake
	b       *bridgeProc
	r       *relay // nil when webhooks are off
	st      *store.Store
	polling bool
}

func newJiraEnv(t *testing.T, polling bool) *jiraEnv {
	t.Helper()
	f := newFake(t)
	dataDir := t.TempDir()
	env := baseEnv(f, dataDir)
	e := &jiraEnv{f: f, polling: polling}
	if polling {
		env["BRIDGE_POLL_INTERVAL"] = "1s"
	}
	e.b = startBridge(t, "bridge", "", env)
	dumpLogsOnFailure(t, e.b)
	if !polling {
		e.r = newRelay(t, e.b.addr)
		f.SetWebhook(e.r.url(), webhookSecret)
		f.SetWebhookRetries(40, 250*time.Millisecond)
	}
	e.st = openStore(t, dataDir, "")
	return e
}

func (e *jiraEnv) settle(t *testing.T) {
	t.Helper()
	settle(t, 60*time.Second, e.f, e.r, e.st)
}

func (e *jiraEnv) create(t *testing.T, summary string) string {
	t.Helper()
	key, err := e.f.CreateIssue(requester, map[string]any{"project": project, "issuetype": "Access Request", "summary": summary})
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// waitVerdict waits until key's single evidence comment shows verdict
// (upper case, as rendered) and the verdict label is set.
func (e *jiraEnv) waitVerdict(t *testing.T, key, verdict string, extra ...string) jirafake.Comment {
	t.Helper()
	var last jirafake.Comment
	waitFor(t, 60*time.Second, key+" verdict "+verdict, func() bool {
		cs := evidenceComments(e.f, key)
		if len(cs) == 0 {
			return false
		}
		last = cs[len(cs)-1]
		if !strings.Contains(last.Body, "verdict: "+strings.ToUpper(verdict)) {
			return false
		}
		for _, x := range extra {
			if !strings.Contains(last.Body, x) {
				return false
			}
		}
		return hasLabel(issue(t, e.f, key), "access-"+verdict)
	})
	if n := len(evidenceComments(e.f, key)); n != 1 {
		t.Fatalf("%s has %d evidence comments, want exactly 1", key, n)
	}
	return last
}

// waitSeen waits until the bridge has evaluated key in status.
func (e *jiraEnv) waitSeen(t *testing.T, key, status, verdict string) {
	t.Helper()
	waitFor(t, 60*time.Second, key+" seen in "+status, func() bool {
		ts := ticketState(t, e.st, key)
		return ts.Status == status && ts.Verdict == verdict
	})
}

// TestJiraLifecycle drives one access request through its life, once with
// webhooks and once with polling alone; both must reach the same state.
func TestJiraLifecycle(t *testing.T) {
	for _, tc := range []struct {
		name    string
		polling bool
	}{
		{"webhooks", false},
		{"polling-only", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newJiraEnv(t, tc.polling)
			lifecycle(t, e)
		})
	}
}

func lifecycle(t *testing.T, e *jiraEnv) {
	f := e.f
	key := e.create(t, "Need viewer access to datadog")

	// 1. The verdict appears: comment, labels, evidence property.
	c := e.waitVerdict(t, key, "pending", "Waiting on: manager")
	// The comment, then labels and property: separate calls of one job.
	waitFor(t, 10*time.Second, "evidence property", func() bool {
		return len(issue(t, f, key).Properties["accessbridge.evidence"]) > 0
	})
	is := issue(t, f, key)
	for _, l := range []string{"identity-impact-low", "access-pending"} {
		if !hasLabel(is, l) {
			t.Errorf("labels %v lack %s", is.Labels, l)
		}
	}
	var prop struct {
		Verdict  string   `json:"verdict"`
		Category string   `json:"category"`
		Missing  []string `json:"missing"`
		Digest   string   `json:"digest"`
		Evidence string   `json:"evidence"`
	}
	if err := json.Unmarshal(is.Properties["accessbridge.evidence"], &prop); err != nil {
		t.Fatalf("evidence property: %v (%s)", err, is.Properties["accessbridge.evidence"])
	}
	if prop.Verdict != "pending" || prop.Category != "access_grant" || !slices.Contains(prop.Missing, "manager") || prop.Digest == "" || !strings.Contains(prop.Evidence, "/v1/tickets/jira/"+key) {
		t.Errorf("evidence property = %+v", prop)
	}
	t.Logf("verdict comment:\n%s", c.Body)
	if ans := e.b.gate(t, key, "Approved"); ans["allow"] != false || ans["verdict"] != "pending" {
		t.Errorf("gate before approval = %v, want deny/pending", ans)
	}

	// 2. An agent pushes it to Approved without approvals: reverted, and a
	// comment says who moved it and what is missing.
	mustTransition(t, f, agent, key, "Waiting for approval")
	e.waitSeen(t, key, "Waiting for approval", "pending")
	mustTransition(t, f, agent, key, "Approved")
	var notice string
	waitFor(t, 60*time.Second, key+" reverted with a notice", func() bool {
		if issue(t, f, key).Status == "Approved" {
			return false
		}
		for _, c := range botComments(f, key) {
			if strings.Contains(c.Body, "Moved back from") {
				notice = c.Body
				return true
			}
		}
		return false
	})
	if st := issue(t, f, key).Status; st != "Waiting for approval" {
		t.Errorf("reverted to %q, want %q", st, "Waiting for approval")
	}
	if !strings.Contains(notice, "manager") {
		t.Errorf("revert notice does not say what is missing:\n%s", notice)
	}
	if !e.polling && !strings.Contains(notice, agent+"@example.com") {
		t.Errorf("revert notice does not name who moved the ticket:\n%s", notice)
	}
	t.Logf("revert notice:\n%s", notice)
	trs := f.Transitions(key)
	if last := trs[len(trs)-1]; last.Actor != jirafake.BotAccountID || last.From != "Approved" {
		t.Errorf("last transition %+v, want the bridge moving it out of Approved", last)
	}

	// 3. A peer's /approve does not count; the manager's does. The one
	// evidence comment is edited to allowed.
	mustComment(t, f, outsider, key, "/approve")
	mustComment(t, f, manager, key, "/approve looks fine")
	e.waitVerdict(t, key, "allowed", "Approved by: maria.lopez@example.com")
	if ans := e.b.gate(t, key, "Approved"); ans["allow"] != true {
		t.Errorf("gate after approval = %v, want allow", ans)
	}

	// The same transition now stands.
	mustTransition(t, f, agent, key, "Approved")
	e.waitSeen(t, key, "Approved", "allowed")
	e.settle(t)
	if st := issue(t, f, key).Status; st != "Approved" {
		t.Errorf("approved transition was reverted to %q", st)
	}

	// 4. The request changes after approval: the approval no longer counts.
	if err := f.EditIssue(requester, key, map[string]any{"summary": "Need editor access to datadog"}); err != nil {
		t.Fatal(err)
	}
	c = e.waitVerdict(t, key, "pending", "No longer counted: approval by maria.lopez@example.com")
	t.Logf("after the edit:\n%s", c.Body)
	e.settle(t)
	if n := duplicates(f); n != 0 {
		t.Errorf("DuplicateComments = %v", f.DuplicateComments())
	}
	ts := ticketState(t, e.st, key)
	t.Logf("%s: %d evaluations, final status %q, labels %v", key, ts.Evaluations, issue(t, f, key).Status, issue(t, f, key).Labels)
}

func mustTransition(t *testing.T, f *jirafake.Fake, who, key, to string) {
	t.Helper()
	if err := f.Transition(who, key, to); err != nil {
		t.Fatal(err)
	}
}

func mustComment(t *testing.T, f *jirafake.Fake, who, key, body string) {
	t.Helper()
	if _, err := f.AddComment(who, key, body); err != nil {
		t.Fatal(err)
	}
}

// TestJiraDeliveries checks how the webhook endpoint answers bad input.
func TestJiraDeliveries(t *testing.T) {
	e := newJiraEnv(t, false)
	body := []byte(`{"timestamp":1,"webhookEvent":"jira:issue_created","issue":{"key":"ACC-1","fields":{"project":{"key":"ACC"}}}}`)
	for _, tc := range []struct {
		name string
		body []byte
		sig  string
		want int
	}{
		{"forged signature", body, jirafake.Sign("not-the-secret", body), http.StatusUnauthorized},
		{"no signature", body, "", http.StatusUnauthorized},
		{"malformed payload", []byte(`{"webhookEvent":`), jirafake.Sign(webhookSecret, []byte(`{"webhookEvent":`)), http.StatusBadRequest},
		{"no issue", []byte(`{"webhookEvent":"jira:issue_created"}`), jirafake.Sign(webhookSecret, []byte(`{"webhookEvent":"jira:issue_created"}`)), http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := e.b.postWebhook(t, tc.body, tc.sig); got != tc.want {
				t.Errorf("status %d, want %d", got, tc.want)
			}
		})
	}
	t.Run("unknown project", func(t *testing.T) {
		before := e.r.status(http.StatusAccepted)
		key, err := e.f.CreateIssue(requester, map[string]any{"project": "OTHER", "issuetype": "Access Request", "summary": "Need admin access to okta"})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, 20*time.Second, "the OTHER delivery answered", func() bool { return e.r.status(http.StatusAccepted) > before })
		e.settle(t)
		if n := countRows(t, e.st.ReadDB(), `SELECT COUNT(*) FROM deliveries WHERE status = 'ignored' AND reason LIKE '%OTHER%'`); n != 1 {
			t.Errorf("ignored deliveries recorded for OTHER = %d, want 1", n)
		}
		if len(botComments(e.f, key)) != 0 || ticketState(t, e.st, key).Key != "" {
			t.Errorf("the bridge acted on %s of an unwatched project", key)
		}
	})
	rejected := countRows(t, e.st.ReadDB(), `SELECT COUNT(*) FROM deliveries WHERE status = 'rejected'`)
	if rejected != 4 {
		t.Errorf("rejected deliveries recorded = %d, want 4", rejected)
	}
}
