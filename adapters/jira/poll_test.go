package jira

import (
	"sync"
	"testing"
	"time"

	"github.com/accessbridge/accessbridge/adapters/jira/jirafake"
	"github.com/accessbridge/accessbridge/bridge"
)

// clock is a settable clock for the fake.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestPoll(t *testing.T) {
	for _, d := range deployments {
		t.Run(d.name, func(t *testing.T) {
			clk := &clock{t: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)}
			f := newFake(t, d.cloud, jirafake.WithClock(clk.now))
			s := newSource(t, f)
			var keys []string
			for range 7 {
				keys = append(keys, request(t, f, nil))
				clk.add(10 * time.Second)
			}
			if _, err := f.CreateIssue("alice", map[string]any{"project": "OPS", "summary": "not watched"}); err != nil {
				t.Fatal(err)
			}
			start := clk.t.Add(-time.Hour).Format(time.RFC3339Nano)
			evs, cursor, err := s.Poll(ctx(t), start)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != 7 {
				t.Fatalf("got %d events, want 7", len(evs))
			}
			for i, e := range evs {
				if e.Key != keys[i] || e.Kind != "updated" || e.DeliveryID != "poll:"+e.Key+":"+e.Revision {
					t.Errorf("event %d = %+v", i, e)
				}
			}
			pages := f.Calls()["GET /rest/api/2/search"] + f.Calls()["POST /rest/api/3/search/jql"]
			if pages != 3 {
				t.Errorf("pages = %d, want 3 (page size 3): %v", pages, f.Calls())
			}
			if cursor != evs[6].Revision {
				t.Errorf("cursor %s, want newest %s", cursor, evs[6].Revision)
			}

			// Next poll: the overlap re-reads the last minutes (same delivery
			// ids, so they dedupe) and picks up a new change.
			clk.add(5 * time.Minute)
			must(t, f.Transition("bob", keys[0], "Waiting for approval"))
			evs2, cursor2, err := s.Poll(ctx(t), cursor)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, e := range evs {
				seen[e.DeliveryID] = true
			}
			fresh := 0
			for _, e := range evs2 {
				if !seen[e.DeliveryID] {
					fresh++
					if e.Key != keys[0] {
						t.Errorf("unexpected fresh event %+v", e)
					}
				}
			}
			if fresh != 1 || len(evs2) < 2 || cursor2 <= cursor {
				t.Errorf("second poll: %d events, %d fresh, cursor %s → %s", len(evs2), fresh, cursor, cursor2)
			}
		})
	}
}

func TestPollJQL(t *testing.T) {
	f := newFake(t, false)
	s := newSource(t, f, func(c *Config) {
		c.Projects = []string{"ACC", "OPS"}
		c.IssueTypes = []string{"Access Request"}
		c.TimeZone = "Europe/Berlin"
	})
	got := s.pollJQL(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC))
	want := `project in ("ACC", "OPS") AND issuetype in ("Access Request") AND updated >= "2024-05-01 12:00" ORDER BY updated ASC`
	if got != want {
		t.Errorf("jql = %s", got)
	}
}

// TestPollNamesTheMover: the poll's changelog names who moved the issue,
// in the same number of search calls; older moves and the bridge's own
// are not reported as transitions.
func TestPollNamesTheMover(t *testing.T) {
	for _, d := range deployments {
		t.Run(d.name, func(t *testing.T) {
			clk := &clock{t: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)}
			f := newFake(t, d.cloud, jirafake.WithClock(clk.now))
			s := newSource(t, f, func(c *Config) { c.PollOverlap = time.Minute })
			moved, old, reverted, quiet := request(t, f, nil), request(t, f, nil), request(t, f, nil), request(t, f, nil)
			must(t, f.Transition("carol", old, "In Progress"))
			clk.add(time.Hour)
			cursor := clk.t.Format(time.RFC3339Nano)
			clk.add(time.Minute)
			must(t, f.Transition("bob", moved, "In Progress"))
			_, err := f.AddComment("alice", old, "still needed")
			must(t, err)
			must(t, f.Transition("bob", reverted, "In Progress"))
			rev := act(bridge.ActionRevert, reverted)
			rev.Revert = &bridge.Transition{From: "In Progress", To: "Open"}
			_, err = s.Apply(ctx(t), rev)
			must(t, err)
			_ = quiet
			f.ResetCalls()
			evs, _, err := s.Poll(ctx(t), cursor)
			must(t, err)
			got := map[string]bridge.Event{}
			for _, e := range evs {
				got[e.Key] = e
			}
			if e := got[moved]; e.Kind != bridge.EventTransitioned || e.Actor.ID == "" || e.Actor.Name != "Bob" ||
				e.Transition == nil || *e.Transition != (bridge.Transition{From: "Open", To: "In Progress"}) || e.ByBridge {
				t.Errorf("moved: %+v %+v", e, e.Transition)
			}
			if d.cloud == false && got[moved].Actor.Email != "bob@example.com" {
				t.Errorf("moved: actor %+v", got[moved].Actor)
			}
			for _, k := range []string{old, reverted} {
				if e := got[k]; e.Kind != bridge.EventUpdated || e.Transition != nil || e.Actor != (bridge.Actor{}) {
					t.Errorf("%s: %+v", k, e)
				}
			}
			if _, ok := got[quiet]; ok || len(evs) != 3 {
				t.Errorf("events %+v", evs)
			}
			search := f.Calls()["GET /rest/api/2/search"] + f.Calls()["POST /rest/api/3/search/jql"]
			if search != 1 { // 3 hits, page size 3
				t.Errorf("search calls %d: %v", search, f.Calls())
			}
		})
	}
}
