package jira

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/accessbridge/accessbridge/bridge"
)

func TestFetchNormalizes(t *testing.T) {
	for _, d := range deployments {
		t.Run(d.name, func(t *testing.T) {
			f := newFake(t, d.cloud)
			s := newSource(t, f)
			key := request(t, f, map[string]any{
				"customfield_10053": map[string]string{"accountId": "acc-bob", "name": "bob"},
				"components":        []map[string]string{{"name": "Databases"}},
				"priority":          map[string]string{"name": "High"},
			})
			if _, err := f.AddComment("bob", key, "/approve"); err != nil {
				t.Fatal(err)
			}
			f.ResetCalls()
			tk, err := s.Fetch(ctx(t), key)
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if n := f.Calls()["GET /rest/api/2/issue/{key}"]; n != 1 || len(f.Calls()) != 1 {
				t.Errorf("calls = %v, want one GET issue", f.Calls())
			}
			want := map[string]string{
				"source": "jira", "key": key, "project": "ACC", "type": "Access Request", "status": "Open",
				"summary": "Grant prod-db read to alice for 7 days", "description": "Need it for incident INC-9",
				"requester": "alice@example.com", "subject": "bob@example.com", "priority": "High",
				"url":  f.URL() + "/browse/" + key,
				"role": "read", "duration": "7d",
			}
			got := map[string]string{
				"source": tk.Source, "key": tk.Key, "project": tk.Project, "type": tk.Type, "status": tk.Status,
				"summary": tk.Summary, "description": tk.Description, "requester": tk.Requester, "subject": tk.Subject,
				"priority": tk.Priority, "url": tk.URL, "role": tk.Fields["role"], "duration": tk.Fields["duration"],
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
			if tk.Fields["resource"] != "prod-db" {
				t.Errorf("resource = %q", tk.Fields["resource"])
			}
			if !slices.Equal(tk.Labels, []string{"access-request"}) || !slices.Equal(tk.Components, []string{"Databases"}) {
				t.Errorf("labels %v components %v", tk.Labels, tk.Components)
			}
			if len(tk.Comments) != 1 || tk.Comments[0].Author != "bob@example.com" || tk.Comments[0].Body != "/approve" || tk.Comments[0].ByBridge {
				t.Errorf("comments = %+v", tk.Comments)
			}
			if tk.Created.IsZero() || tk.Updated.Before(tk.Created) {
				t.Errorf("created %v updated %v", tk.Created, tk.Updated)
			}
		})
	}
}

func TestFetchCloudUnmappedRequester(t *testing.T) {
	f := newFake(t, true)
	s := newSource(t, f)
	key, err := f.CreateIssue("acc-alice", map[string]any{"project": "ACC", "summary": "x", "reporter": map[string]string{"accountId": "acc-carol"}})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := s.Fetch(ctx(t), key)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Requester != "" || !strings.Contains(tk.Fields[UnmappedRequester], "acc-carol") {
		t.Errorf("requester %q, reason %q", tk.Requester, tk.Fields[UnmappedRequester])
	}
}

func TestFetchErrors(t *testing.T) {
	f := newFake(t, false)
	s := newSource(t, f)
	_, err := s.Fetch(ctx(t), "ACC-999")
	var ue *bridge.UpstreamError
	if !errors.As(err, &ue) || ue.Reason != "not_found" || ue.Retryable || !errors.Is(err, bridge.ErrNotFound) {
		t.Errorf("missing issue: %v", err)
	}
	if _, err := s.Fetch(ctx(t), "../myself"); !errors.Is(err, bridge.ErrPermanent) {
		t.Errorf("bad key: %v", err)
	}
}
