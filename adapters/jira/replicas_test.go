package jira

import (
	"strings"
	"testing"

	"github.com/accessbridge/accessbridge/bridge"
)

// Two replicas on one Jira: B read the issue before A posted the evidence
// comment. With SharedStore, B lists before posting and edits A's comment;
// a retried action does the same in a single process.
func TestNoDuplicateAcrossReplicasOrRetries(t *testing.T) {
	for _, tc := range []struct {
		name   string
		shared bool
		retry  bool
	}{{"shared store", true, false}, {"retry", false, true}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, true)
			a := newSource(t, f, func(c *Config) { c.SharedStore = tc.shared })
			b := a
			if tc.shared {
				b = newSource(t, f, func(c *Config) { c.SharedStore = true })
			}
			key := request(t, f, nil)
			if _, err := b.Fetch(ctx(t), key); err != nil { // b: no bridge comment yet
				t.Fatal(err)
			}
			first := act(bridge.ActionComment, key)
			first.Body = "Access policy verdict: PENDING"
			if _, err := a.Apply(ctx(t), first); err != nil {
				t.Fatal(err)
			}
			if !tc.shared {
				// The single process forgets its own POST, as after a crash
				// between the upstream answer and the mark.
				a.cache.forgetComments(cacheKey(key))
				if _, err := a.Fetch(ctx(t), key); err != nil {
					t.Fatal(err)
				}
				a.cache.update(cacheKey(key), func(st *issueState, _ bool) { st.evidence = ownComment{} })
			}
			second := act(bridge.ActionComment, key)
			second.Body = "Access policy verdict: ALLOWED"
			second.Retry = tc.retry
			if _, err := b.Apply(ctx(t), second); err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, c := range f.Comments(key) {
				if strings.Contains(c.Body, "Access policy verdict") {
					n++
					if !strings.Contains(c.Body, "ALLOWED") {
						t.Errorf("comment not edited: %q", c.Body)
					}
				}
			}
			if n != 1 || len(f.DuplicateComments()) != 0 {
				t.Fatalf("%d verdict comments, duplicates %v", n, f.DuplicateComments())
			}
		})
	}
}
