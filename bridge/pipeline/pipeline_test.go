package pipeline_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/audit"
	"github.com/accessbridge/accessbridge/bridge/memsource"
	"github.com/accessbridge/accessbridge/policy"
)

func TestPipeline(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Run("verdict lifecycle", func(t *testing.T) { testLifecycle(t, newHarness(t, open(t))) })
			t.Run("bad input", func(t *testing.T) { testBadInput(t, newHarness(t, open(t))) })
			t.Run("revert", func(t *testing.T) { testRevert(t, newHarness(t, open(t))) })
			t.Run("revert after edit", func(t *testing.T) { testRevertAfterEdit(t, newHarness(t, open(t))) })
			t.Run("non identity", func(t *testing.T) { testNonIdentity(t, newHarness(t, open(t))) })
			t.Run("throttled upstream", func(t *testing.T) { testThrottled(t, newHarness(t, open(t))) })
			t.Run("grant expiry", func(t *testing.T) { testExpiry(t, newHarness(t, open(t))) })
			t.Run("request filed by the bridge", func(t *testing.T) { testSubmit(t, newHarness(t, open(t))) })
			t.Run("gate", func(t *testing.T) { testGate(t, newHarness(t, open(t))) })
			t.Run("http surface", func(t *testing.T) { testHTTP(t, newHarness(t, open(t))) })
		})
	}
}

// An access request goes pending, the manager's /approve makes it allowed,
// an edit of the request invalidates the approval.
func testLifecycle(t *testing.T, h *harness) {
	tk := h.put(bridge.Ticket{Key: "M-1", Status: "Open", Summary: "please grant access to prod-db read", Requester: "alice.nguyen@example.com"})
	if code := h.event(tk, "d1"); code != http.StatusAccepted {
		t.Fatalf("webhook answered %d", code)
	}
	s := h.waitVerdict("M-1", policy.Pending)
	if len(s.Missing) != 1 || s.Missing[0] != "manager" {
		t.Fatalf("missing = %v", s.Missing)
	}
	h.waitFor("comment", func() bool { return strings.Contains(h.src.Comment("M-1"), "PENDING") })
	if c := h.src.Comment("M-1"); !strings.Contains(c, "Waiting on: manager") || !strings.Contains(c, "https://bridge.test/v1/tickets/mem/M-1") {
		t.Fatalf("comment = %q", c)
	}
	// A redelivery of the same webhook changes nothing.
	if code := h.event(tk, "d1"); code != http.StatusOK {
		t.Fatalf("duplicate answered %d", code)
	}
	tk = h.touch("M-1", func(t *bridge.Ticket) {
		t.Comments = append(t.Comments, bridge.Comment{ID: "c1", Author: "maria.lopez@example.com", AuthorID: "maria", Body: "/approve", Created: t.Updated})
	})
	h.event(tk, "d2")
	h.waitVerdict("M-1", policy.Allowed)
	h.waitFor("allowed comment", func() bool { return strings.Contains(h.src.Comment("M-1"), "ALLOWED") })
	if c := h.src.Comment("M-1"); !strings.Contains(c, "Approved by: maria.lopez@example.com") {
		t.Fatalf("comment = %q", c)
	}
	tk = h.touch("M-1", func(t *bridge.Ticket) { t.Summary = "please grant access to prod-db write" })
	h.event(tk, "d3")
	h.waitVerdict("M-1", policy.Pending)
	h.waitFor("invalidation comment", func() bool { return strings.Contains(h.src.Comment("M-1"), "No longer counted") })

	h.waitFor("labels", func() bool { return len(h.actions("M-1", bridge.ActionEvidence)) == 3 })
	if n := len(h.actions("M-1", bridge.ActionComment)); n != 3 {
		t.Fatalf("comment upserts = %d, want one per verdict change (3)", n)
	}
	kinds := h.auditKinds("M-1")
	if countOf(kinds, "verdict") != 3 {
		t.Fatalf("audit kinds = %v", kinds)
	}
	if rep, err := audit.Verify(context.Background(), h.st, nil); err != nil || rep.Records == 0 {
		t.Fatalf("verify: %v %+v", err, rep)
	}
}

func testBadInput(t *testing.T, h *harness) {
	body := []byte(`{"id":"x","key":"M-9"}`)
	cases := []struct {
		name, path string
		body       []byte
		sig        string
		want       int
	}{
		{"bad signature", "/webhooks/mem", body, "sha256=00", http.StatusUnauthorized},
		{"malformed", "/webhooks/mem", []byte(`{"id":`), h.src.Sign([]byte(`{"id":`)), http.StatusBadRequest},
		{"unknown source", "/webhooks/nope", body, "", http.StatusNotFound},
		{"oversized", "/webhooks/mem", make([]byte, 2<<20), "", http.StatusRequestEntityTooLarge},
		{"ignored project", "/webhooks/mem", []byte(`{"id":"y","key":"IGNORED-1"}`), h.src.Sign([]byte(`{"id":"y","key":"IGNORED-1"}`)), http.StatusAccepted},
	}
	for _, c := range cases {
		if got := h.post(c.path, c.body, c.sig); got != c.want {
			t.Errorf("%s: status %d, want %d", c.name, got, c.want)
		}
	}
	counts, err := h.st.CountDeliveries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counts["rejected"] != 4 || counts["ignored"] != 1 || counts["accepted"] != 0 {
		t.Fatalf("deliveries = %v", counts)
	}
	if h.src.Fetches() != 0 {
		t.Fatalf("bad input caused %d fetches", h.src.Fetches())
	}
}

// A human moves a pending request to a gated status: it is moved back, with
// a notice; the violation is in the audit log.
func testRevert(t *testing.T, h *harness) {
	tk := h.put(bridge.Ticket{Key: "M-2", Status: "Open", Summary: "need admin on prod-db", Requester: "alice.nguyen@example.com"})
	h.event(tk, "r1")
	h.waitVerdict("M-2", policy.Pending)
	tk = h.touch("M-2", func(t *bridge.Ticket) { t.Status = "Approved" })
	h.send(memsource.Delivery{ID: "r2", Key: "M-2", Kind: "transitioned", Revision: tk.Updated.Format(time.RFC3339Nano), Actor: "bob@example.com", From: "Open", To: "Approved"})
	h.waitFor("revert", func() bool { return len(h.actions("M-2", bridge.ActionRevert)) == 1 })
	got, _ := h.src.Fetch(context.Background(), "M-2")
	if got.Status != "Open" {
		t.Fatalf("status after revert = %q", got.Status)
	}
	h.waitFor("notice", func() bool { return len(h.actions("M-2", bridge.ActionReply)) == 1 })
	if n := h.actions("M-2", bridge.ActionReply)[0].Body; !strings.Contains(n, "bob@example.com") || !strings.Contains(n, "group:security") {
		t.Fatalf("notice = %q", n)
	}
	h.waitFor("violation audit", func() bool { return countOf(h.auditKinds("M-2"), "violation") == 1 })
}

// An allowed request moved to Approved, then edited there: the approval no
// longer covers it, so it goes back to the last status outside the gates.
func testRevertAfterEdit(t *testing.T, h *harness) {
	tk := h.put(bridge.Ticket{Key: "M-5", Status: "Open", Summary: "grant access to prod-db read", Requester: "alice.nguyen@example.com"})
	h.event(tk, "e1")
	h.waitVerdict("M-5", policy.Pending)
	tk = h.touch("M-5", func(t *bridge.Ticket) {
		t.Comments = append(t.Comments, bridge.Comment{ID: "c1", Author: "maria.lopez@example.com", Body: "/approve", Created: t.Updated})
	})
	h.event(tk, "e2")
	h.waitVerdict("M-5", policy.Allowed)
	tk = h.touch("M-5", func(t *bridge.Ticket) { t.Status = "Approved" })
	h.event(tk, "e3")
	h.waitFor("status Approved recorded", func() bool { return h.state("M-5").Status == "Approved" })
	if n := len(h.actions("M-5", bridge.ActionRevert)); n != 0 {
		t.Fatalf("an allowed transition was reverted (%d)", n)
	}
	tk = h.touch("M-5", func(t *bridge.Ticket) { t.Summary = "grant access to prod-db write" })
	h.event(tk, "e4")
	h.waitFor("revert", func() bool { return len(h.actions("M-5", bridge.ActionRevert)) == 1 })
	if r := h.actions("M-5", bridge.ActionRevert)[0].Revert; r.From != "Approved" || r.To != "Open" {
		t.Fatalf("revert = %+v, want Approved → Open", r)
	}
}

func testNonIdentity(t *testing.T, h *harness) {
	tk := h.put(bridge.Ticket{Key: "M-3", Status: "Open", Summary: "printer on floor 3 is jammed", Requester: "alice.nguyen@example.com"})
	h.event(tk, "n1")
	h.waitVerdict("M-3", policy.NotApplicable)
	if n := len(h.src.Applied()); n != 0 {
		t.Fatalf("a non-identity ticket got %d actions", n)
	}
	if h.src.Fetches() != 1 {
		t.Fatalf("fetches = %d, want 1", h.src.Fetches())
	}
}

// A 429 with Retry-After snoozes the job for that long, then it succeeds.
func testThrottled(t *testing.T, h *harness) {
	h.src.ThrottleNext(2)
	tk := h.put(bridge.Ticket{Key: "M-6", Status: "Open", Summary: "grant access to prod-db", Requester: "alice.nguyen@example.com"})
	h.event(tk, "t1")
	h.waitVerdict("M-6", policy.Pending)
	if n := h.src.Fetches(); n != 3 {
		t.Fatalf("fetches = %d, want 2 throttled + 1", n)
	}
}

// An allowed time-bound grant expires on schedule: recorded, and the ticket
// is told the access must be removed.
func testExpiry(t *testing.T, h *harness) {
	tk := h.put(bridge.Ticket{Key: "M-7", Status: "Open", Summary: "grant access to prod-db read", Requester: "alice.nguyen@example.com"})
	h.event(tk, "x1")
	h.waitVerdict("M-7", policy.Pending)
	tk = h.touch("M-7", func(t *bridge.Ticket) {
		t.Comments = append(t.Comments, bridge.Comment{ID: "c1", Author: "maria.lopez@example.com", Body: "/approve", Created: t.Updated})
	})
	h.event(tk, "x2")
	h.waitVerdict("M-7", policy.Allowed)
	grants, err := h.st.Grants(context.Background(), bridge.Ref{Source: "mem", Key: "M-7"})
	if err != nil || len(grants) != 1 || !grants[0].ExpiresAt.Equal(h.clock.Now().Add(8*time.Hour)) {
		t.Fatalf("grants = %+v, %v", grants, err)
	}
	if n := len(h.actions("M-7", bridge.ActionReply)); n != 0 {
		t.Fatalf("%d replies before expiry", n)
	}
	h.clock.Advance(9 * time.Hour)
	h.waitFor("expiry notice", func() bool {
		for _, a := range h.actions("M-7", bridge.ActionReply) {
			if strings.Contains(a.Body, "expired") && strings.Contains(a.Body, "alice.nguyen@example.com") {
				return true
			}
		}
		return false
	})
	if countOf(h.auditKinds("M-7"), "grant_expired") != 1 {
		t.Fatalf("audit = %v", h.auditKinds("M-7"))
	}
}

// A change that no webhook announced is caught by the periodic reconcile.
func TestReconcileCatchesMissedWebhook(t *testing.T) {
	harnessReconcile = 50 * time.Millisecond
	defer func() { harnessReconcile = 0 }()
	h := newHarness(t, backends(t)["sqlite"](t))
	tk := h.put(bridge.Ticket{Key: "M-8", Status: "Open", Summary: "grant access to prod-db read", Requester: "alice.nguyen@example.com"})
	h.event(tk, "r1")
	h.waitVerdict("M-8", policy.Pending)
	h.touch("M-8", func(t *bridge.Ticket) {
		t.Comments = append(t.Comments, bridge.Comment{ID: "c1", Author: "maria.lopez@example.com", Body: "/approve", Created: t.Updated})
	})
	h.clock.Advance(2 * time.Minute) // a new reconcile bucket
	h.waitVerdict("M-8", policy.Allowed)
}

// A request filed by the bridge (Slack) is evaluated for the requester the
// bridge verified, although the ticket's reporter is the bridge itself.
func testSubmit(t *testing.T, h *harness) {
	req := bridge.Request{Requester: "alice.nguyen@example.com", Resource: "prod-db", Role: "read", Justification: "reports", Channel: "slack",
		Extra: map[string]string{"idempotency_key": "k1"}}
	tk, err := h.p.Submit(context.Background(), "mem", req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := h.p.Submit(context.Background(), "mem", req)
	if err != nil || again.Key != tk.Key {
		t.Fatalf("retried submit filed %q (first %q), %v", again.Key, tk.Key, err)
	}
	s := h.waitVerdict(tk.Key, policy.Pending)
	if s.Requester != "alice.nguyen@example.com" || len(s.Missing) != 1 || s.Missing[0] != "manager" {
		t.Fatalf("state = %+v", s)
	}
}

func testGate(t *testing.T, h *harness) {
	h.put(bridge.Ticket{Key: "M-4", Status: "Open", Summary: "grant access to prod-db", Requester: "alice.nguyen@example.com"})
	ans, err := h.p.Gate(context.Background(), bridge.Ref{Source: "mem", Key: "M-4"}, "Approved")
	if err != nil || ans.Allow || ans.Verdict != policy.Pending {
		t.Fatalf("gate = %+v, %v", ans, err)
	}
	ans, _ = h.p.Gate(context.Background(), bridge.Ref{Source: "mem", Key: "M-4"}, "In Review")
	if !ans.Allow {
		t.Fatalf("ungated status denied: %+v", ans)
	}
	h.src.FailNext(10)
	ans, err = h.p.Gate(context.Background(), bridge.Ref{Source: "mem", Key: "M-4"}, "Done")
	if err == nil || ans.Allow || ans.Verdict != policy.Error {
		t.Fatalf("gate with unreachable source = %+v, %v; want fail closed", ans, err)
	}
}

// The gate needs its bearer token; the evidence page needs the token or
// the signed link the comment carries; readiness reports the policy.
func testHTTP(t *testing.T, h *harness) {
	tk := h.put(bridge.Ticket{Key: "M-9", Status: "Open", Summary: "grant access to prod-db read", Requester: "alice.nguyen@example.com"})
	h.event(tk, "h1")
	h.waitVerdict("M-9", policy.Pending)
	get := func(path, token string, body string) (int, string) {
		method := "GET"
		if body != "" {
			method = "POST"
		}
		req, _ := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	gate := `{"source":"mem","key":"M-9","to_status":"Approved"}`
	if code, _ := get("/v1/gate", "", gate); code != http.StatusUnauthorized {
		t.Fatalf("gate without token: %d", code)
	}
	if code, body := get("/v1/gate", "gate-token", gate); code != 200 || !strings.Contains(body, `"allow":false`) || !strings.Contains(body, `"manager"`) {
		t.Fatalf("gate: %d %s", code, body)
	}
	if code, _ := get("/v1/gate", "gate-token", `{"source":"mem"}`); code != http.StatusBadRequest {
		t.Fatalf("malformed gate request: %d", code)
	}
	if code, _ := get("/v1/tickets/mem/M-9", "", ""); code != http.StatusUnauthorized {
		t.Fatalf("evidence without token or signature: %d", code)
	}
	if code, body := get("/v1/tickets/mem/M-9", "gate-token", ""); code != 200 || !strings.Contains(body, "pending") || !strings.Contains(body, "Audit trail") {
		t.Fatalf("evidence page: %d %.300s", code, body)
	}
	if code, body := get("/readyz", "", ""); code != 200 || !strings.Contains(body, "sha256:") {
		t.Fatalf("readyz: %d %s", code, body)
	}
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}
