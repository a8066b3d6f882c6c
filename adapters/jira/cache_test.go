package jira

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestIssueCacheBounded(t *testing.T) {
	c := newIssueCache(3)
	for i := range 4 {
		c.observe(fmt.Sprint("A-", i), seen{labelsKnown: true})
		if i == 2 {
			c.get("A-0") // recently used: survives, A-1 goes
		}
	}
	if _, ok := c.get("A-1"); ok || c.len() != 3 {
		t.Errorf("len %d, A-1 kept %v", c.len(), ok)
	}
	if _, ok := c.get("A-0"); !ok {
		t.Error("recently used entry evicted")
	}
}

// TestIssueCacheMerge: which reads may overwrite what the bridge knows.
func TestIssueCacheMerge(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Second)
	ev := ownComment{"100", markerOpen + " evidence abc" + markerClose}
	tests := []struct {
		name       string
		steps      func(c *issueCache)
		labels     []string
		evidenceID string
		known      bool
		listFirst  bool
	}{
		{"fetch", func(c *issueCache) {
			c.observe("K", seen{rev: t0, labels: []string{"a"}, labelsKnown: true, commentsKnown: true, evidence: ev})
		}, []string{"a"}, "100", true, false},
		{"same-revision read after own edit keeps the edit", func(c *issueCache) {
			c.observe("K", seen{rev: t0, labels: []string{"a"}, labelsKnown: true, commentsKnown: true})
			c.wroteLabels("K", []string{"a", "b"})
			c.observe("K", seen{rev: t0, labels: []string{"a"}, labelsKnown: true, commentsKnown: true})
		}, []string{"a", "b"}, "", true, false},
		{"newer read wins", func(c *issueCache) {
			c.observe("K", seen{rev: t0, labels: []string{"a"}, labelsKnown: true, commentsKnown: true})
			c.wroteLabels("K", []string{"a", "b"})
			c.observe("K", seen{rev: t1, labels: []string{"c"}, labelsKnown: true, commentsKnown: true})
		}, []string{"c"}, "", true, false},
		{"older read ignored", func(c *issueCache) {
			c.observe("K", seen{rev: t1, labels: []string{"new"}, labelsKnown: true, commentsKnown: true})
			c.observe("K", seen{rev: t0, labels: []string{"old"}, labelsKnown: true, commentsKnown: true})
		}, []string{"new"}, "", true, false},
		{"a read without the comment keeps its id", func(c *issueCache) {
			c.observe("K", seen{rev: t0, labelsKnown: true, commentsKnown: true})
			c.commentStored("K", true, ev)
			c.observe("K", seen{rev: t1, labelsKnown: true, commentsKnown: true})
		}, nil, "100", true, false},
		{"an uncertain post survives reads", func(c *issueCache) {
			c.observe("K", seen{rev: t0, labelsKnown: true, commentsKnown: true})
			c.postUncertain("K")
			c.observe("K", seen{rev: t1, labelsKnown: true, commentsKnown: true, evidence: ev})
		}, nil, "100", true, true},
		{"a listing is the truth", func(c *issueCache) {
			c.observe("K", seen{rev: t0, labelsKnown: true, commentsKnown: true, evidence: ev})
			c.postUncertain("K")
			c.listed("K", ownComment{}, nil)
		}, nil, "", true, false},
		{"a 404 forgets", func(c *issueCache) {
			c.observe("K", seen{rev: t0, labelsKnown: true, commentsKnown: true, evidence: ev})
			c.forgetComments("K")
		}, nil, "", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newIssueCache(10)
			tc.steps(c)
			st, _ := c.get("K")
			if !slices.Equal(st.labels, tc.labels) || st.evidence.id != tc.evidenceID || st.commentsKnown != tc.known || st.listFirst != tc.listFirst {
				t.Errorf("state %+v", st)
			}
		})
	}
}

func TestIssueCacheConcurrent(t *testing.T) {
	c := newIssueCache(50)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				k := fmt.Sprint("A-", (g*7+i)%80)
				c.observe(k, seen{labels: []string{"x"}, labelsKnown: true, commentsKnown: true, replies: map[string]string{"r": "1"}})
				c.commentStored(k, false, ownComment{"2", "s"})
				if st, ok := c.get(k); ok {
					st.labels = append(st.labels, "mutated copy")
					st.replies["z"] = "9"
				}
			}
		})
	}
	wg.Wait()
	if c.len() > 50 {
		t.Errorf("len %d", c.len())
	}
}

func FuzzLatestStatusChange(f *testing.F) {
	f.Add([]byte(`{"key":"A-1","fields":{"updated":"2024-05-01T10:15:30.000+0000"},"changelog":{"histories":[{"author":{"name":"bob"},"created":"2024-05-01T10:15:30.000+0000","items":[{"field":"status","fromString":"Open","toString":"Done"}]}]}}`))
	f.Add([]byte(`{"changelog":{"histories":[{"created":"x","items":[{"field":"status"}]},{"created":"2024-05-01","items":[]}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var h searchHit
		if json.Unmarshal(data, &h) != nil {
			return
		}
		if best, _, ok := h.Changelog.latestStatusChange(); ok && best.at.IsZero() {
			t.Fatal("status change without a time")
		}
	})
}
