package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
)

var keyRe = regexp.MustCompile(`^(?:[A-Za-z][A-Za-z0-9_]*-[0-9]+|[0-9]+)$`)

// checkKey rejects anything that is not an issue key or id, so a key
// can never reshape the request path.
func checkKey(op, key string) error {
	if keyRe.MatchString(key) {
		return nil
	}
	return &bridge.UpstreamError{Op: op, Reason: "bad_request", Err: fmt.Errorf("%w: invalid issue key %q", bridge.ErrPermanent, key)}
}

// Fetch reads one issue with its comments and mapped custom fields in one
// request (more only when the issue has more comments than Jira embeds).
func (s *Source) Fetch(ctx context.Context, key string) (bridge.Ticket, error) {
	if err := checkKey("fetch", key); err != nil {
		return bridge.Ticket{}, err
	}
	var w wireIssue
	path := "rest/api/2/issue/" + key + "?fields=" + url.QueryEscape(s.fetchFields())
	if _, err := s.call(ctx, "fetch", http.MethodGet, path, nil, &w); err != nil {
		return bridge.Ticket{}, err
	}
	if err := s.completeComments(ctx, &w); err != nil {
		return bridge.Ticket{}, err
	}
	t, err := s.m.fromWire(&w)
	if err != nil {
		return bridge.Ticket{}, &bridge.UpstreamError{Op: "fetch", Reason: "bad_response", Err: fmt.Errorf("%w: %v", bridge.ErrMalformed, err)}
	}
	return t, nil
}

func (s *Source) fetchFields() string {
	fs := []string{"*navigable", "comment"}
	for _, id := range s.cfg.FieldMap {
		fs = append(fs, id)
	}
	slices.Sort(fs[2:])
	return strings.Join(slices.Compact(fs), ",")
}

// completeComments pages the comment list when the embedded one is cut.
func (s *Source) completeComments(ctx context.Context, w *wireIssue) error {
	var cs wireComments
	if raw, ok := w.Fields["comment"]; !ok || json.Unmarshal(raw, &cs) != nil || cs.Total <= len(cs.Comments) {
		return nil
	}
	all, err := s.listComments(ctx, w.Key)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(struct {
		Comments []wireCommentOut `json:"comments"`
		Total    int              `json:"total"`
	}{commentsOut(all), len(all)})
	w.Fields["comment"] = b
	return nil
}

// listComments reads every comment of an issue (v2: bodies as text, which
// keeps the marker readable on Cloud too).
func (s *Source) listComments(ctx context.Context, key string) ([]wireComment, error) {
	var all []wireComment
	for start := 0; ; {
		var page struct {
			wireComments
			StartAt int `json:"startAt"`
		}
		path := "rest/api/2/issue/" + key + "/comment?maxResults=1000&startAt=" + strconv.Itoa(start)
		if _, err := s.call(ctx, "list_comments", http.MethodGet, path, nil, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Comments...)
		start += len(page.Comments)
		if len(page.Comments) == 0 || start >= page.Total {
			return all, nil
		}
	}
}

// maxPollIssues bounds one poll; the cursor lets the next one continue.
const maxPollIssues = 5000

// Poll searches for issues updated since cursor (an RFC 3339 time; empty
// = PollLookback ago) minus PollOverlap, oldest first, and returns one
// EventUpdated per issue with DeliveryID "poll:<key>:<updated>", so
// overlapping polls dedupe. The next cursor is the newest updated seen.
func (s *Source) Poll(ctx context.Context, cursor string) ([]bridge.Event, string, error) {
	since := time.Now().Add(-s.cfg.PollLookback)
	if cursor != "" {
		t, err := time.Parse(time.RFC3339Nano, cursor)
		if err != nil {
			return nil, cursor, &bridge.UpstreamError{Op: "poll", Reason: "bad_cursor", Err: fmt.Errorf("%w: cursor %q: %v", bridge.ErrPermanent, cursor, err)}
		}
		since = t
	}
	jql := s.pollJQL(since.Add(-s.cfg.PollOverlap))
	newest := since
	var events []bridge.Event
	visit := func(key, updated string) {
		at, err := parseTime(updated)
		if err != nil || key == "" {
			return
		}
		rev := at.Format(time.RFC3339Nano)
		events = append(events, bridge.Event{Source: "jira", DeliveryID: "poll:" + key + ":" + rev, Key: key,
			Kind: bridge.EventUpdated, Revision: rev, At: at})
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
}

// searchDC pages GET /rest/api/2/search by startAt until total.
func (s *Source) searchDC(ctx context.Context, jql string, visit func(key, updated string)) error {
	for start := 0; start < maxPollIssues; {
		var page struct {
			Issues []searchHit `json:"issues"`
			Total  int         `json:"total"`
		}
		q := url.Values{"jql": {jql}, "startAt": {strconv.Itoa(start)}, "maxResults": {strconv.Itoa(s.cfg.PageSize)}, "fields": {"updated"}}
		if _, err := s.call(ctx, "poll", http.MethodGet, "rest/api/2/search?"+q.Encode(), nil, &page); err != nil {
			return err
		}
		for _, h := range page.Issues {
			visit(h.Key, h.Fields.Updated)
		}
		start += len(page.Issues)
		if len(page.Issues) == 0 || start >= page.Total {
			return nil
		}
	}
	return nil
}

// searchCloud pages POST /rest/api/3/search/jql by nextPageToken until isLast.
func (s *Source) searchCloud(ctx context.Context, jql string, visit func(key, updated string)) error {
	token := ""
	for n := 0; n < maxPollIssues; {
		body := map[string]any{"jql": jql, "maxResults": s.cfg.PageSize, "fields": []string{"updated"}}
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
			visit(h.Key, h.Fields.Updated)
		}
		n += len(page.Issues)
		if page.IsLast || page.NextPageToken == "" {
			return nil
		}
		token = page.NextPageToken
	}
	return nil
}
