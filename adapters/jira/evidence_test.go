package jira

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/accessbridge/accessbridge/adapters/jira/jirafake"
	"github.com/accessbridge/accessbridge/bridge"
)

func evidence(key string, labels []string, prop string) bridge.Action {
	a := act(bridge.ActionEvidence, key)
	a.Labels, a.Property = labels, json.RawMessage(prop)
	return a
}

// evaluate is what the pipeline does for one evaluation: re-read the
// ticket, then (on a verdict change) upsert the comment and set the
// evidence. It returns the calls the fake received.
func evaluate(t *testing.T, f *jirafake.Fake, s *Source, key string, acts ...bridge.Action) map[string]int {
	t.Helper()
	f.ResetCalls()
	if _, err := s.Fetch(ctx(t), key); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	for _, a := range acts {
		if _, err := s.Apply(ctx(t), a); err != nil {
			t.Fatalf("Apply %s: %v", a.Kind, err)
		}
	}
	return f.Calls()
}

func total(calls map[string]int) int {
	n := 0
	for _, v := range calls {
		n += v
	}
	return n
}

// TestEvaluationCalls counts the upstream calls of an evaluation and
// checks what Jira holds afterwards.
func TestEvaluationCalls(t *testing.T) {
	const (
		getIssue = "GET /rest/api/2/issue/{key}"
		putIssue = "PUT /rest/api/2/issue/{key}"
		putProp  = "PUT /rest/api/2/issue/{key}/properties/{prop}"
	)
	for _, d := range deployments {
		t.Run(d.name, func(t *testing.T) {
			f := newFake(t, d.cloud)
			s := newSource(t, f, func(c *Config) { c.BotAccount = botID(d.cloud) })
			key := request(t, f, map[string]any{"labels": []string{"team-x", "access-request"}})
			postC, putC := "POST /rest/api/2/issue/{key}/comment", "PUT /rest/api/2/issue/{key}/comment/{id}"
			if d.cloud {
				postC, putC = "POST /rest/api/3/issue/{key}/comment", "PUT /rest/api/3/issue/{key}/comment/{id}"
			}
			// DC sets labels and the property in two calls (see setEvidence).
			edits := map[string]int{putIssue: 1}
			propOnly := map[string]int{putIssue: 1}
			if !d.cloud {
				edits = map[string]int{putIssue: 1, putProp: 1}
				propOnly = map[string]int{putProp: 1}
			}
			steps := []struct {
				name   string
				acts   []bridge.Action
				want   map[string]int
				labels []string
				prop   string
			}{
				{"first verdict", []bridge.Action{comment(key, "Verdict: pending"), evidence(key, []string{"identity-impact-high", "access-pending"}, `{"verdict":"pending"}`)},
					merge(map[string]int{getIssue: 1, postC: 1}, edits), []string{"access-pending", "access-request", "identity-impact-high", "team-x"}, `{"verdict":"pending"}`},
				{"nothing changes", nil, map[string]int{getIssue: 1}, []string{"access-pending", "access-request", "identity-impact-high", "team-x"}, `{"verdict":"pending"}`},
				{"verdict change", []bridge.Action{comment(key, "Verdict: allowed"), evidence(key, []string{"identity-impact-high", "access-allowed"}, `{"verdict":"allowed"}`)},
					merge(map[string]int{getIssue: 1, putC: 1}, edits), []string{"access-allowed", "access-request", "identity-impact-high", "team-x"}, `{"verdict":"allowed"}`},
				{"labels unchanged", []bridge.Action{comment(key, "Verdict: allowed (re-approved)"), evidence(key, []string{"identity-impact-high", "access-allowed"}, `{"verdict":"allowed","n":2}`)},
					merge(map[string]int{getIssue: 1, putC: 1}, propOnly), []string{"access-allowed", "access-request", "identity-impact-high", "team-x"}, `{"verdict":"allowed","n":2}`},
			}
			for _, st := range steps {
				historyBefore := len(labelChanges(t, f, key))
				got := evaluate(t, f, s, key, st.acts...)
				if !maps.Equal(got, st.want) {
					t.Errorf("%s: calls %v (%d), want %v (%d)", st.name, got, total(got), st.want, total(st.want))
				}
				t.Logf("%s: %d upstream calls", st.name, total(got))
				is, _ := f.Issue(key)
				if !slices.Equal(is.Labels, st.labels) || string(is.Properties[PropertyKey]) != st.prop {
					t.Errorf("%s: labels %v property %s", st.name, is.Labels, is.Properties[PropertyKey])
				}
				if cs := f.Comments(key); len(cs) != 1 {
					t.Errorf("%s: %d comments", st.name, len(cs))
				}
				if st.name == "labels unchanged" && len(labelChanges(t, f, key)) != historyBefore {
					t.Errorf("labels unchanged: the edit changed labels")
				}
			}
		})
	}
}

func merge(a, b map[string]int) map[string]int {
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out
}

// labelChanges reads the issue's changelog entries for labels.
func labelChanges(t *testing.T, f *jirafake.Fake, key string) []string {
	t.Helper()
	var out []string
	for _, h := range f.History(key) {
		for _, it := range h.Items {
			if it.Field == "labels" {
				out = append(out, it.ToString)
			}
		}
	}
	return out
}

// TestRestartFindsComment: a new Source (empty cache) edits the one
// existing comment, through its Fetch or, without one, by listing.
func TestRestartFindsComment(t *testing.T) {
	for _, d := range deployments {
		for _, fetchFirst := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/fetch=%v", d.name, fetchFirst), func(t *testing.T) {
				f := newFake(t, d.cloud)
				key := request(t, f, nil)
				_, err := newSource(t, f).Apply(ctx(t), comment(key, "Verdict: pending"))
				must(t, err)
				s := newSource(t, f) // restarted, no BOT_ACCOUNT: /myself once
				if fetchFirst {
					_, err := s.Fetch(ctx(t), key)
					must(t, err)
				}
				f.ResetCalls()
				res, err := s.Apply(ctx(t), comment(key, "Verdict: allowed"))
				if err != nil || res.Detail != "updated" {
					t.Fatalf("res %+v err %v", res, err)
				}
				lists := f.Calls()["GET /rest/api/2/issue/{key}/comment"]
				if want := map[bool]int{true: 0, false: 1}[fetchFirst]; lists != want {
					t.Errorf("fetch first %v: %d listings, want %d (%v)", fetchFirst, lists, want, f.Calls())
				}
				if cs := f.Comments(key); len(cs) != 1 || !strings.Contains(cs[0].Body, "allowed") {
					t.Errorf("comments %+v", cs)
				}
			})
		}
	}
}

// TestStaleCommentID: the cached comment was deleted; the PUT's 404
// falls back to listing and posts a new one.
func TestStaleCommentID(t *testing.T) {
	f := newFake(t, false)
	s := newSource(t, f)
	key := request(t, f, nil)
	_, err := s.Fetch(ctx(t), key)
	must(t, err)
	r1, err := s.Apply(ctx(t), comment(key, "Verdict: pending"))
	must(t, err)
	must(t, f.DeleteComment(key, r1.ID))
	_, err = s.Fetch(ctx(t), key) // shows no comment; the id is kept (see observe)
	must(t, err)
	r2, err := s.Apply(ctx(t), comment(key, "Verdict: allowed"))
	if err != nil || r2.Detail != "created" || r2.ID == r1.ID {
		t.Fatalf("r2 %+v err %v", r2, err)
	}
	if cs := f.Comments(key); len(cs) != 1 || cs[0].ID != r2.ID {
		t.Errorf("comments %+v", cs)
	}
}

// TestNoDuplicateAfterAppliedFailureCached: the Fetch said there is no
// comment, the POST was applied and answered 500; the retry lists first,
// with or without a Fetch in between.
func TestNoDuplicateAfterAppliedFailureCached(t *testing.T) {
	for _, refetch := range []bool{false, true} {
		for _, when := range []bool{true, false} { // applied, or refused before
			f := newFake(t, true)
			s := newSource(t, f)
			key := request(t, f, nil)
			_, err := s.Fetch(ctx(t), key)
			must(t, err)
			f.FailNext(1, 500, when)
			if _, err := s.Apply(ctx(t), comment(key, "Verdict: pending")); !bridge.Retryable(err) {
				t.Fatalf("first apply: %v", err)
			}
			if refetch {
				_, err := s.Fetch(ctx(t), key)
				must(t, err)
			}
			f.ResetCalls()
			res, err := s.Apply(ctx(t), comment(key, "Verdict: pending"))
			must(t, err)
			if n := len(f.Comments(key)); n != 1 {
				t.Errorf("refetch %v applied %v: %d comments (%+v)", refetch, when, n, res)
			}
			if when && !refetch && f.Calls()["GET /rest/api/2/issue/{key}/comment"] != 1 {
				t.Errorf("retry did not list: %v", f.Calls())
			}
		}
	}
}

// TestFetchPagesComments: Jira embedded only part of a long thread; the
// Fetch pages the rest and still finds the bridge's comment.
func TestFetchPagesComments(t *testing.T) {
	f := newFake(t, false, jirafake.WithEmbeddedComments(2))
	s := newSource(t, f, func(c *Config) { c.BotAccount = jirafake.BotName })
	key := request(t, f, nil)
	for range 3 {
		_, err := f.AddComment("bob", key, "ping")
		must(t, err)
	}
	_, err := s.Apply(ctx(t), comment(key, "Verdict: pending"))
	must(t, err)
	s = newSource(t, f, func(c *Config) { c.BotAccount = jirafake.BotName })
	f.ResetCalls()
	tk, err := s.Fetch(ctx(t), key)
	must(t, err)
	if len(tk.Comments) != 4 || !tk.Comments[3].ByBridge || f.Calls()["GET /rest/api/2/issue/{key}/comment"] != 1 {
		t.Fatalf("comments %d, calls %v", len(tk.Comments), f.Calls())
	}
	f.ResetCalls()
	res, err := s.Apply(ctx(t), comment(key, "Verdict: allowed"))
	if err != nil || res.Detail != "updated" || len(f.Calls()) != 1 {
		t.Errorf("res %+v err %v calls %v", res, err, f.Calls())
	}
}

// TestReplyFromFetch: a reply the Fetch already saw is not posted again,
// and a new one is posted without listing.
func TestReplyFromFetch(t *testing.T) {
	f := newFake(t, true)
	s := newSource(t, f, func(c *Config) { c.BotAccount = jirafake.BotAccountID })
	key := request(t, f, nil)
	a := act(bridge.ActionReply, key)
	a.Body = "Moved back: bob moved this ticket to a gated status"
	_, err := s.Apply(ctx(t), a)
	must(t, err)
	s = newSource(t, f, func(c *Config) { c.BotAccount = jirafake.BotAccountID })
	_, err = s.Fetch(ctx(t), key)
	must(t, err)
	f.ResetCalls()
	res, err := s.Apply(ctx(t), a)
	if err != nil || res.Detail != "exists" || len(f.Calls()) != 0 {
		t.Errorf("res %+v err %v calls %v", res, err, f.Calls())
	}
	a.Digest = "sha256:def"
	res, err = s.Apply(ctx(t), a)
	if err != nil || res.Detail != "created" || f.Calls()["GET /rest/api/2/issue/{key}/comment"] != 0 || len(f.Comments(key)) != 2 {
		t.Errorf("res %+v err %v calls %v", res, err, f.Calls())
	}
}

func TestEvidenceRejects(t *testing.T) {
	f := newFake(t, true)
	s := newSource(t, f)
	key := request(t, f, nil)
	for _, a := range []bridge.Action{
		evidence(key, []string{"two words"}, `{}`),
		evidence(key, nil, ``),
		evidence(key, nil, `"`+strings.Repeat("x", maxProperty)+`"`),
	} {
		if _, err := s.Apply(ctx(t), a); !errors.Is(err, bridge.ErrPermanent) {
			t.Errorf("%v / %.20s: %v", a.Labels, a.Property, err)
		}
	}
	if c := f.Calls()["PUT /rest/api/2/issue/{key}"]; c != 0 {
		t.Errorf("%d edits sent", c)
	}
}

// TestEvidenceFailedEditRereads: an edit answered 500 (maybe applied)
// drops the cached labels; the retry reads them and converges.
func TestEvidenceFailedEditRereads(t *testing.T) {
	f := newFake(t, true)
	s := newSource(t, f)
	key := request(t, f, nil)
	_, err := s.Fetch(ctx(t), key)
	must(t, err)
	f.FailNext(1, 500, true)
	f.FailNext(3, 500, false) // the transport retries the PUT (RetryMax 3): exhaust it
	a := evidence(key, []string{"access-pending"}, `{"v":1}`)
	if _, err := s.Apply(ctx(t), a); !bridge.Retryable(err) {
		t.Fatalf("first: %v", err)
	}
	f.ResetCalls()
	res, err := s.Apply(ctx(t), a)
	must(t, err)
	is, _ := f.Issue(key)
	if f.Calls()["GET /rest/api/2/issue/{key}"] != 1 || res.Detail != "labels unchanged; property set" || !slices.Contains(is.Labels, "access-pending") {
		t.Errorf("res %+v calls %v labels %v", res, f.Calls(), is.Labels)
	}
}

// BenchmarkVerdictChange is one evaluation whose verdict changes: Fetch,
// comment upsert, evidence. It reports upstream calls per evaluation.
func BenchmarkVerdictChange(b *testing.B) {
	for _, d := range deployments {
		b.Run(d.name, func(b *testing.B) {
			f := newFake(b, d.cloud)
			s := newSource(b, f, func(c *Config) { c.BotAccount = botID(d.cloud) })
			key := request(b, f, nil)
			c := ctx(b)
			verdicts := []string{"pending", "allowed"}
			f.ResetCalls()
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				v := verdicts[n%2]
				n++
				if _, err := s.Fetch(c, key); err != nil {
					b.Fatal(err)
				}
				for _, a := range []bridge.Action{comment(key, "Verdict: "+v), evidence(key, []string{"access-" + v}, `{"verdict":"`+v+`"}`)} {
					if _, err := s.Apply(c, a); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(total(f.Calls()))/float64(n), "calls/op")
		})
	}
}
