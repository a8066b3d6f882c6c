package jira

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/accessbridge/accessbridge/adapters/jira/jirafake"
	"github.com/accessbridge/accessbridge/bridge"
)

func act(kind, key string) bridge.Action {
	return bridge.Action{Kind: kind, Ticket: bridge.Ref{Source: "jira", Key: key}, Digest: "sha256:abc"}
}

func comment(key, body string) bridge.Action {
	a := act(bridge.ActionComment, key)
	a.Body = body
	return a
}

func TestCommentUpsert(t *testing.T) {
	for _, d := range deployments {
		t.Run(d.name, func(t *testing.T) {
			f := newFake(t, d.cloud)
			s := newSource(t, f)
			key := request(t, f, nil)
			post := "POST /rest/api/2/issue/{key}/comment"
			put := "PUT /rest/api/2/issue/{key}/comment/{id}"
			if d.cloud {
				post, put = "POST /rest/api/3/issue/{key}/comment", "PUT /rest/api/3/issue/{key}/comment/{id}"
			}
			steps := []struct {
				body, detail string
				posts, puts  int
			}{
				{"Verdict: **pending**\n- missing: manager approval", "created", 1, 0},
				{"Verdict: **pending**\n- missing: manager approval", "unchanged", 1, 0},
				{"Verdict: **allowed**\n- approved by bob@example.com", "updated", 1, 1},
			}
			for i, st := range steps {
				res, err := s.Apply(ctx(t), comment(key, st.body))
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				c := f.Calls()
				if res.Detail != st.detail || c[post] != st.posts || c[put] != st.puts || res.ID == "" {
					t.Fatalf("step %d: %+v, posts %d puts %d", i, res, c[post], c[put])
				}
			}
			// A restarted bridge (no cache) finds its comment by listing.
			s2 := newSource(t, f)
			res, err := s2.Apply(ctx(t), comment(key, "Verdict: **denied**"))
			if err != nil || res.Detail != "updated" {
				t.Fatalf("after restart: %+v %v", res, err)
			}
			cs := f.Comments(key)
			if len(cs) != 1 || cs[0].Author != jirafake.BotAccountID || cs[0].ADF != d.cloud {
				t.Fatalf("comments = %+v", cs)
			}
			for _, want := range []string{"denied", "⟦accessbridge evidence", "/v1/tickets/jira/" + key} {
				if !strings.Contains(cs[0].Body, want) {
					t.Errorf("body %q lacks %q", cs[0].Body, want)
				}
			}
			if !d.cloud && !strings.Contains(cs[0].Body, "*denied*") {
				t.Errorf("wiki body %q: bold not converted", cs[0].Body)
			}
			tk, err := s2.Fetch(ctx(t), key)
			if err != nil || len(tk.Comments) != 1 || !tk.Comments[0].ByBridge {
				t.Errorf("fetched comments %+v %v", tk.Comments, err)
			}
		})
	}
}

// TestNoDuplicateAfterAppliedFailure: Jira applies the POST and answers
// 500; the transport must not repeat it and the job-level retry must
// find the comment instead of posting again.
func TestNoDuplicateAfterAppliedFailure(t *testing.T) {
	for _, d := range deployments {
		t.Run(d.name, func(t *testing.T) {
			f := newFake(t, d.cloud)
			s := newSource(t, f)
			key := request(t, f, nil)
			f.FailNext(1, 500, true)
			_, err := s.Apply(ctx(t), comment(key, "Verdict: pending"))
			var ue *bridge.UpstreamError
			if !errors.As(err, &ue) || !ue.Retryable || ue.Reason != "server_error" {
				t.Fatalf("first apply: %v", err)
			}
			res, err := s.Apply(ctx(t), comment(key, "Verdict: pending"))
			if err != nil || res.Detail != "unchanged" {
				t.Fatalf("retry: %+v %v", res, err)
			}
			if n := len(f.Comments(key)); n != 1 {
				t.Errorf("%d comments", n)
			}
		})
	}
}

// TestNoDuplicatesUnderFaults applies comments and replies to many issues
// while the fake fails a third of requests, half of writes after applying
// them, retrying each action as the job engine would.
func TestNoDuplicatesUnderFaults(t *testing.T) {
	f := newFake(t, true, jirafake.WithSeed(7))
	s := newSource(t, f)
	var keys []string
	for range 10 {
		keys = append(keys, request(t, f, nil))
	}
	f.Faults(0.3, jirafake.After)
	for _, key := range keys {
		for _, a := range []bridge.Action{comment(key, "Verdict: pending"), comment(key, "Verdict: allowed"), {Kind: bridge.ActionReply, Ticket: bridge.Ref{Key: key}, Digest: "d1", Body: "Your /approve was refused"}} {
			var err error
			for try := 0; try < 50; try++ {
				if _, err = s.Apply(ctx(t), a); err == nil || !bridge.Retryable(err) {
					break
				}
			}
			if err != nil {
				t.Fatalf("%s %s: %v", key, a.Kind, err)
			}
		}
	}
	f.Faults(0, jirafake.Before)
	if d := f.DuplicateComments(); len(d) != 0 {
		t.Errorf("duplicates: %v", d)
	}
	for _, key := range keys {
		if n := len(f.Comments(key)); n != 2 {
			t.Errorf("%s: %d comments, want evidence + reply", key, n)
		}
	}
}

func TestReplyIdempotent(t *testing.T) {
	f := newFake(t, false)
	s := newSource(t, f)
	key := request(t, f, nil)
	a := act(bridge.ActionReply, key)
	a.Body = "Your /approve was refused: you are the requester"
	r1, err := s.Apply(ctx(t), a)
	must(t, err)
	r2, err := s.Apply(ctx(t), a)
	must(t, err)
	if r1.Detail != "created" || r2.Detail != "exists" || r1.ID != r2.ID || len(f.Comments(key)) != 1 {
		t.Errorf("r1 %+v r2 %+v comments %d", r1, r2, len(f.Comments(key)))
	}
}

func TestLabelsOnlyBridgeOwned(t *testing.T) {
	f := newFake(t, false)
	s := newSource(t, f)
	key := request(t, f, map[string]any{"labels": []string{"team-x", "access-request", "access-pending", "identity-impact-low"}})
	a := act(bridge.ActionLabel, key)
	a.Labels = []string{"identity-impact-high", "access-allowed"}
	res, err := s.Apply(ctx(t), a)
	must(t, err)
	is, _ := f.Issue(key)
	want := []string{"access-allowed", "access-request", "identity-impact-high", "team-x"}
	if !slices.Equal(is.Labels, want) {
		t.Errorf("labels = %v, want %v (%s)", is.Labels, want, res.Detail)
	}
	f.ResetCalls()
	res, err = s.Apply(ctx(t), a)
	must(t, err)
	if res.Detail != "unchanged" || f.Calls()["PUT /rest/api/2/issue/{key}"] != 0 {
		t.Errorf("second apply: %+v, calls %v", res, f.Calls())
	}
	a.Labels = []string{"bad label"}
	if _, err := s.Apply(ctx(t), a); !errors.Is(err, bridge.ErrPermanent) {
		t.Errorf("label with space: %v", err)
	}
}

func TestProperty(t *testing.T) {
	f := newFake(t, true)
	s := newSource(t, f)
	key := request(t, f, nil)
	a := act(bridge.ActionProperty, key)
	a.Property = json.RawMessage(`{"v":1,"verdict":"pending"}`)
	r1, err := s.Apply(ctx(t), a)
	must(t, err)
	a.Property = json.RawMessage(`{"v":1,"verdict":"allowed"}`)
	r2, err := s.Apply(ctx(t), a)
	must(t, err)
	is, _ := f.Issue(key)
	if r1.Detail != "created" || r2.Detail != "updated" || string(is.Properties[PropertyKey]) != `{"v":1,"verdict":"allowed"}` {
		t.Errorf("%+v %+v %s", r1, r2, is.Properties[PropertyKey])
	}
	a.Property = json.RawMessage(`"` + strings.Repeat("x", maxProperty) + `"`)
	if _, err := s.Apply(ctx(t), a); !errors.Is(err, bridge.ErrPermanent) {
		t.Errorf("oversized: %v", err)
	}
}

func TestRevert(t *testing.T) {
	tests := []struct {
		name     string
		workflow jirafake.Workflow
		moveTo   string
		revert   bridge.Transition
		detail   string
		status   string
	}{
		{"back to waiting", jirafake.DefaultWorkflow(), "In Progress", bridge.Transition{From: "In Progress", To: "Waiting for approval"}, Reverted, "Waiting for approval"},
		{"already moved", jirafake.DefaultWorkflow(), "In Progress", bridge.Transition{From: "Approved", To: "Waiting for approval"}, NotInFrom, "In Progress"},
		{"no way back", jirafake.OneWayWorkflow(), "In Progress", bridge.Transition{From: "In Progress", To: "Open"}, NoWayBack, "In Progress"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, false, jirafake.WithWorkflow(tc.workflow))
			s := newSource(t, f)
			key := request(t, f, nil)
			must(t, f.Transition("carol", key, tc.moveTo))
			a := act(bridge.ActionRevert, key)
			a.Revert = &tc.revert
			res, err := s.Apply(ctx(t), a)
			if err != nil || res.Detail != tc.detail {
				t.Fatalf("res %+v err %v", res, err)
			}
			is, _ := f.Issue(key)
			if is.Status != tc.status {
				t.Errorf("status %q, want %q", is.Status, tc.status)
			}
			if tc.detail == Reverted {
				h := f.Transitions(key)
				if last := h[len(h)-1]; last.Actor != jirafake.BotAccountID || last.From != "In Progress" {
					t.Errorf("last transition %+v", last)
				}
			}
		})
	}
}

func TestCreate(t *testing.T) {
	for _, d := range deployments {
		t.Run(d.name, func(t *testing.T) {
			f := newFake(t, d.cloud)
			s := newSource(t, f, func(c *Config) { c.FieldTypes = map[string]string{"resource": "select", "subject": "user"} })
			tk, err := s.Create(ctx(t), bridge.Request{Requester: "alice@example.com", Subject: "bob@example.com", Resource: "prod-db", Role: "read", Duration: "8h", Justification: "INC-9", Channel: "slack"})
			if err != nil {
				t.Fatal(err)
			}
			if tk.Fields["resource"] != "prod-db" || tk.Fields["role"] != "read" || tk.Fields["duration"] != "8h" || tk.Subject != "bob@example.com" || tk.Type != "Access Request" {
				t.Errorf("ticket = %+v", tk)
			}
			if !strings.Contains(tk.Description, "alice@example.com") {
				t.Errorf("description %q", tk.Description)
			}
			if want := map[bool]string{false: "alice@example.com", true: ""}[d.cloud]; tk.Requester != want && !d.cloud {
				t.Errorf("requester %q, want %q", tk.Requester, want)
			}
		})
	}
}
