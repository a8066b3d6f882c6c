package jira

import (
	"context"
	"errors"
	"net/http"

	"github.com/accessbridge/accessbridge/bridge"
)

// ownComment is one of the bridge's marked comments as last seen.
type ownComment struct{ id, marker string }

// upsertComment keeps exactly one evidence comment: PUT when the body
// changed, POST only when none exists. What the preceding Fetch saw
// decides between them without another read; without it (a restart, an
// evicted entry, a POST whose answer was lost, a stale id answered 404)
// the comments are listed first.
func (s *Source) upsertComment(ctx context.Context, key, body string, trustNone bool) (bridge.ActionResult, error) {
	ck := cacheKey(key)
	defer s.locks.lock(ck)()
	marker := evidenceMarker(body)
	if st, ok := s.cache.get(ck); ok && st.commentsKnown {
		switch ev := st.evidence; {
		case ev.id != "":
			res, err := s.editEvidence(ctx, key, ev, body, marker)
			if !notFoundOrForbidden(err) {
				return res, err
			}
			s.cache.forgetComments(ck) // deleted meanwhile, or not ours
		case !st.listFirst && trustNone:
			return s.post(ctx, key, body, marker, true)
		}
	}
	ev, _, err := s.listOwn(ctx, key)
	if err != nil {
		return bridge.ActionResult{}, err
	}
	if ev.id != "" {
		return s.editEvidence(ctx, key, ev, body, marker)
	}
	return s.post(ctx, key, body, marker, true)
}

// editEvidence updates the evidence comment unless it already says body.
func (s *Source) editEvidence(ctx context.Context, key string, ev ownComment, body, marker string) (bridge.ActionResult, error) {
	if ev.marker == marker {
		return bridge.ActionResult{ID: ev.id, Detail: "unchanged"}, nil
	}
	if err := s.putComment(ctx, key, ev.id, body, marker); err != nil {
		return bridge.ActionResult{}, err
	}
	s.cache.commentStored(cacheKey(key), true, ownComment{ev.id, marker})
	return bridge.ActionResult{ID: ev.id, Detail: "updated"}, nil
}

// reply posts a new comment unless one with the same digest and body
// marker exists (a retried reply finds the first).
func (s *Source) reply(ctx context.Context, key, digest, body string, trustNone bool) (bridge.ActionResult, error) {
	ck := cacheKey(key)
	defer s.locks.lock(ck)()
	marker := replyMarker(digest, body)
	if st, ok := s.cache.get(ck); ok && st.commentsKnown {
		if id, ok := st.replies[marker]; ok {
			return bridge.ActionResult{ID: id, Detail: "exists"}, nil
		}
		if !st.listFirst && trustNone {
			return s.post(ctx, key, body, marker, false)
		}
	}
	_, replies, err := s.listOwn(ctx, key)
	if err != nil {
		return bridge.ActionResult{}, err
	}
	if id, ok := replies[marker]; ok {
		return bridge.ActionResult{ID: id, Detail: "exists"}, nil
	}
	return s.post(ctx, key, body, marker, false)
}

// post adds a marked comment. When the answer does not prove the POST
// was refused, the next write for the issue lists before posting.
func (s *Source) post(ctx context.Context, key, body, marker string, evidence bool) (bridge.ActionResult, error) {
	id, err := s.postComment(ctx, key, body, marker)
	if err != nil {
		if !refused(err) {
			s.cache.postUncertain(cacheKey(key))
		}
		return bridge.ActionResult{}, err
	}
	s.cache.commentStored(cacheKey(key), evidence, ownComment{id, marker})
	return bridge.ActionResult{ID: id, Detail: "created"}, nil
}

// refused reports an answer that proves the request was not applied:
// a 4xx (including 429).
func refused(err error) bool {
	var ue *bridge.UpstreamError
	return errors.As(err, &ue) && ue.Status >= 400 && ue.Status < 500
}

func notFoundOrForbidden(err error) bool {
	var ue *bridge.UpstreamError
	return errors.As(err, &ue) && (ue.Status == http.StatusNotFound || ue.Status == http.StatusForbidden)
}

// listOwn lists the comments and returns the bridge's: the oldest
// evidence comment and the replies by marker. The caller holds the
// issue's lock, so the listing is the truth and replaces the cached view.
func (s *Source) listOwn(ctx context.Context, key string) (ownComment, map[string]string, error) {
	bot, err := s.botAccount(ctx)
	if err != nil {
		return ownComment{}, nil, err
	}
	cs, err := s.listComments(ctx, key)
	if err != nil {
		return ownComment{}, nil, err
	}
	ev, replies := ownMarked(cs, Mapping{BotAccount: bot})
	s.cache.listed(cacheKey(key), ev, replies)
	return ev, replies, nil
}

// postComment adds a comment: ADF through v3 on Cloud, wiki markup
// through v2 on Data Center. It is never retried by the transport after
// a 5xx; the caller's job retry re-runs the upsert, which finds it.
func (s *Source) postComment(ctx context.Context, key, body, marker string) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	path, payload := s.commentRequest(key, "", body, marker)
	if _, err := s.call(ctx, "comment", http.MethodPost, path, payload, &out); err != nil {
		return "", err
	}
	return out.ID, nil
}

func (s *Source) putComment(ctx context.Context, key, id, body, marker string) error {
	path, payload := s.commentRequest(key, id, body, marker)
	_, err := s.call(ctx, "comment", http.MethodPut, path, payload, nil)
	return err
}

func (s *Source) commentRequest(key, id, body, marker string) (string, any) {
	suffix := "/comment"
	if id != "" {
		suffix += "/" + id
	}
	if s.cloud {
		return "rest/api/3/issue/" + key + suffix, map[string]any{"body": adfBody(body, marker)}
	}
	return "rest/api/2/issue/" + key + suffix, map[string]any{"body": wikiBody(body, marker)}
}
