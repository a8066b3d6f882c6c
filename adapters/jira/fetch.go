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
// What it read of the bridge's own comment and of the labels is kept, so
// Apply need not read them again.
func (s *Source) Fetch(ctx context.Context, key string) (bridge.Ticket, error) {
	if err := checkKey("fetch", key); err != nil {
		return bridge.Ticket{}, err
	}
	var w wireIssue
	path := "rest/api/2/issue/" + key + "?fields=" + url.QueryEscape(s.fetchFields())
	if _, err := s.call(ctx, "fetch", http.MethodGet, path, nil, &w); err != nil {
		return bridge.Ticket{}, err
	}
	cs, complete, err := s.completeComments(ctx, &w)
	if err != nil {
		return bridge.Ticket{}, err
	}
	m := s.m
	m.BotAccount = s.botForComments(ctx, cs)
	t, err := m.fromWire(&w)
	if err != nil {
		return bridge.Ticket{}, &bridge.UpstreamError{Op: "fetch", Reason: "bad_response", Err: fmt.Errorf("%w: %v", bridge.ErrMalformed, err)}
	}
	_, hasLabels := w.Fields["labels"]
	obs := seen{rev: t.Updated, labels: t.Labels, labelsKnown: hasLabels}
	if complete && (m.BotAccount != "" || !anyMarked(cs)) {
		obs.commentsKnown = true
		obs.evidence, obs.replies = ownMarked(cs, m)
	}
	for _, k := range slices.Compact([]string{cacheKey(key), cacheKey(t.Key)}) {
		s.cache.observe(k, obs)
	}
	return t, nil
}

func cacheKey(key string) string { return strings.ToUpper(key) }

func (s *Source) fetchFields() string {
	fs := []string{"*navigable", "comment"}
	for _, id := range s.cfg.FieldMap {
		fs = append(fs, id)
	}
	slices.Sort(fs[2:])
	return strings.Join(slices.Compact(fs), ",")
}

// completeComments returns every comment of the issue, paging the comment
// list when the embedded one is cut (Jira embeds a limited number).
// complete is false when the issue carried no readable comment field.
func (s *Source) completeComments(ctx context.Context, w *wireIssue) (cs []wireComment, complete bool, err error) {
	var page wireComments
	raw, ok := w.Fields["comment"]
	if !ok || json.Unmarshal(raw, &page) != nil {
		return nil, false, nil
	}
	if page.Total <= len(page.Comments) {
		return page.Comments, true, nil
	}
	all, err := s.listComments(ctx, w.Key)
	if err != nil {
		return nil, false, err
	}
	b, _ := json.Marshal(struct {
		Comments []wireCommentOut `json:"comments"`
		Total    int              `json:"total"`
	}{commentsOut(all), len(all)})
	w.Fields["comment"] = b
	return all, true, nil
}

// anyMarked reports whether a comment carries a bridge marker.
func anyMarked(cs []wireComment) bool {
	return slices.ContainsFunc(cs, func(c wireComment) bool { return findMarker(string(c.Body)) != "" })
}

// ownMarked finds, among comments by the bridge's account (m.BotAccount),
// the oldest evidence comment and every reply marker.
func ownMarked(cs []wireComment, m Mapping) (ownComment, map[string]string) {
	var ev ownComment
	replies := map[string]string{}
	for _, c := range cs {
		tok := findMarker(string(c.Body))
		if tok == "" || !m.isBot(c.Author) {
			continue
		}
		switch {
		case isEvidenceMarker(tok):
			if ev.id == "" {
				ev = ownComment{c.ID, tok}
			}
		default:
			if _, dup := replies[tok]; !dup {
				replies[tok] = c.ID
			}
		}
	}
	return ev, replies
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
