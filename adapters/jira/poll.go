package jira

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
)

// maxPollIssues bounds one poll; the cursor lets the next one continue.
const maxPollIssues = 5000

// Poll searches for issues updated since cursor (an RFC 3339 time; empty
// = PollLookback ago) minus PollOverlap, oldest first, and returns one
// event per issue with DeliveryID "poll:<key>:<updated>", so overlapping
// polls dedupe. The next cursor is the newest updated seen.
//
// The search asks for each issue's changelog too (same number of calls):
// when its latest status change falls in the polled window and was not
// the bridge's, the event is EventTransitioned with that Transition and
// its author as Actor, as a webhook would say, so a revert notice can
// name who moved the ticket. Poll events are never ByBridge: the bridge's
// change may be followed by a person's in the same revision.
func (s *Source) Poll(ctx context.Context, cursor string) ([]bridge.Event, string, error) {
	since := time.Now().Add(-s.cfg.PollLookback)
	if cursor != "" {
		t, err := time.Parse(time.RFC3339Nano, cursor)
		if err != nil {
			return nil, cursor, &bridge.UpstreamError{Op: "poll", Reason: "bad_cursor", Err: fmt.Errorf("%w: cursor %q: %v", bridge.ErrPermanent, cursor, err)}
		}
		since = t
	}
	from := since.Add(-s.cfg.PollOverlap)
	jql := s.pollJQL(from)
	from = from.Truncate(time.Minute) // JQL's precision
	newest := since
	var events []bridge.Event
	visit := func(h searchHit) {
		at, err := parseTime(h.Fields.Updated)
		if err != nil || h.Key == "" {
			return
		}
		rev := at.Format(time.RFC3339Nano)
		ev := bridge.Event{Source: "jira", DeliveryID: "poll:" + h.Key + ":" + rev, Key: h.Key,
			Kind: bridge.EventUpdated, Revision: rev, At: at}
		s.fillTransition(ctx, &ev, h.Changelog, from)
		events = append(events, ev)
		if at.After(newest) {
			newest = at
		}
	}
	var err error
	if s.cloud {
		err = s.searchCloud(ctx, jql, visit)
	} else {
		err = s.searchDC(ctx, jql, visit)
	}
	if err != nil {
		return nil, cursor, err
	}
	return events, newest.UTC().Format(time.RFC3339Nano), nil
}

// fillTransition sets Kind, Transition and Actor from the latest status
// change in cl made at or after from by someone other than the bridge.
func (s *Source) fillTransition(ctx context.Context, ev *bridge.Event, cl *wireChangelog, from time.Time) {
	h, it, ok := cl.latestStatusChange()
	if !ok || h.at.Before(from) {
		return
	}
	m := s.m
	m.BotAccount = s.botQuietly(ctx)
	if m.isBot(h.Author) {
		return
	}
	ev.Kind = bridge.EventTransitioned
	ev.Transition = &bridge.Transition{From: it.FromString, To: it.ToString}
	ev.Actor = bridge.Actor{ID: h.Author.id(), Email: m.email(h.Author), Name: h.Author.DisplayName}
}

// wireChangelog is an issue's expanded changelog.
type wireChangelog struct {
	Histories []wireHistory `json:"histories"`
}

type wireHistory struct {
	Author  wireUser `json:"author"`
	Created string   `json:"created"`
	Items   []struct {
		Field      string `json:"field"`
		FromString string `json:"fromString"`
		ToString   string `json:"toString"`
	} `json:"items"`
	at time.Time
}

type statusItem struct{ FromString, ToString string }

// latestStatusChange finds the newest history with a status item. Jira
// may return a page of the histories in either order: compare times.
func (cl *wireChangelog) latestStatusChange() (wireHistory, statusItem, bool) {
	var best wireHistory
	var item statusItem
	found := false
	if cl == nil {
		return best, item, false
	}
	for _, h := range cl.Histories {
		at, err := parseTime(h.Created)
		if err != nil || at.IsZero() || found && !at.After(best.at) {
			continue
		}
		for _, it := range h.Items {
			if it.Field == "status" {
				h.at = at
				best, item, found = h, statusItem{it.FromString, it.ToString}, true
				break
			}
		}
	}
	return best, item, found
}

// pollJQL is the configured (or default) restriction plus the updated
// clause, in the bot account's time zone at minute precision.
func (s *Source) pollJQL(from time.Time) string {
	base := s.cfg.JQL
	if base == "" {
		base = "project in (" + quoteList(s.cfg.Projects) + ")"
		if len(s.cfg.IssueTypes) > 0 {
			base += " AND issuetype in (" + quoteList(s.cfg.IssueTypes) + ")"
		}
	} else {
		base = "(" + base + ")"
	}
	return base + ` AND updated >= "` + from.In(s.loc).Format("2006-01-02 15:04") + `" ORDER BY updated ASC`
}

func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

type searchHit struct {
	Key    string `json:"key"`
	Fields struct {
		Updated string `json:"updated"`
	} `json:"fields"`
	Changelog *wireChangelog `json:"changelog"`
}

// searchDC pages GET /rest/api/2/search by startAt until total.
func (s *Source) searchDC(ctx context.Context, jql string, visit func(searchHit)) error {
	for start := 0; start < maxPollIssues; {
		var page struct {
			Issues []searchHit `json:"issues"`
			Total  int         `json:"total"`
		}
		q := url.Values{"jql": {jql}, "startAt": {strconv.Itoa(start)}, "maxResults": {strconv.Itoa(s.cfg.PageSize)}, "fields": {"updated"}, "expand": {"changelog"}}
		if _, err := s.call(ctx, "poll", http.MethodGet, "rest/api/2/search?"+q.Encode(), nil, &page); err != nil {
			return err
		}
		for _, h := range page.Issues {
			visit(h)
		}
		start += len(page.Issues)
		if len(page.Issues) == 0 || start >= page.Total {
			return nil
		}
	}
	return nil
}

// searchCloud pages POST /rest/api/3/search/jql by nextPageToken until isLast.
func (s *Source) searchCloud(ctx context.Context, jql string, visit func(searchHit)) error {
	token := ""
	for n := 0; n < maxPollIssues; {
		body := map[string]any{"jql": jql, "maxResults": s.cfg.PageSize, "fields": []string{"updated"}, "expand": "changelog"}
		if token != "" {
			body["nextPageToken"] = token
		}
		var page struct {
			Issues        []searchHit `json:"issues"`
			NextPageToken string      `json:"nextPageToken"`
			IsLast        bool        `json:"isLast"`
		}
		if _, err := s.call(ctx, "poll", http.MethodPost, "rest/api/3/search/jql", body, &page); err != nil {
			return err
		}
		for _, h := range page.Issues {
			visit(h)
		}
		n += len(page.Issues)
		if page.IsLast || page.NextPageToken == "" {
			return nil
		}
		token = page.NextPageToken
	}
	return nil
}
