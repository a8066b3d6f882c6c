package jira

import (
	"container/list"
	"hash/fnv"
	"maps"
	"slices"
	"sync"
	"time"
)

// issueCacheSize bounds the per-issue cache: enough for the tickets in
// flight; an evicted issue only costs the old read-then-write path.
const issueCacheSize = 10000

// issueState is what the last Fetch, and the bridge's own writes since,
// say about the parts of an issue the bridge edits. Apply uses it to skip
// the reads a Fetch already made: the comment list and the labels.
type issueState struct {
	rev   time.Time // the issue's `updated` as last fetched
	wrote bool      // the bridge edited the issue since that Fetch

	labels      []string // every label, not only the bridge's
	labelsKnown bool

	// commentsKnown: evidence and replies reflect every comment of the
	// bridge's account (a Fetch or listing saw them all).
	commentsKnown bool
	evidence      ownComment        // the evidence comment; id "" = none
	replies       map[string]string // reply marker → comment id
	// listFirst: a POST may have been applied without the bridge seeing
	// its answer; list the comments before posting again. Only a listing
	// clears it: a Fetch may have read the issue before the POST landed.
	listFirst bool
}

// seen is what one read of the issue showed.
type seen struct {
	rev           time.Time
	labels        []string
	labelsKnown   bool
	commentsKnown bool
	evidence      ownComment
	replies       map[string]string
}

// issueCache is a concurrency-safe LRU of issueState by issue key.
type issueCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // front = most recent; values are *cacheEntry
	byKey map[string]*list.Element
}

type cacheEntry struct {
	key string
	st  issueState
}

func newIssueCache(max int) *issueCache {
	return &issueCache{max: max, order: list.New(), byKey: map[string]*list.Element{}}
}

// get returns a copy of the state of key.
func (c *issueCache) get(key string) (issueState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return issueState{}, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*cacheEntry).st.clone(), true
}

// update changes the state of key in place (found: it existed).
func (c *issueCache) update(key string, fn func(st *issueState, found bool)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		c.order.MoveToFront(el)
		fn(&el.Value.(*cacheEntry).st, true)
		return
	}
	e := &cacheEntry{key: key}
	fn(&e.st, false)
	c.byKey[key] = c.order.PushFront(e)
	for c.order.Len() > c.max {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.byKey, old.Value.(*cacheEntry).key)
	}
}

func (c *issueCache) len() int { c.mu.Lock(); defer c.mu.Unlock(); return c.order.Len() }

func (st issueState) clone() issueState {
	st.labels = slices.Clone(st.labels)
	st.replies = maps.Clone(st.replies)
	return st
}

// observe merges what a Fetch read. A read older than the state, or one
// of the same revision taken before the bridge's own edit, leaves the
// labels alone. A comment id is never forgotten because a read lacks it
// (the read may predate the POST that made it): a stale id costs a 404
// and a listing, a forgotten one a duplicate comment.
func (c *issueCache) observe(key string, s seen) {
	c.update(key, func(st *issueState, found bool) {
		stale := found && (s.rev.Before(st.rev) || s.rev.Equal(st.rev) && st.wrote)
		if !stale && s.labelsKnown {
			st.rev, st.wrote = s.rev, false
			st.labels, st.labelsKnown = slices.Clone(s.labels), true
		}
		if !s.commentsKnown {
			return
		}
		if s.evidence.id != "" {
			st.evidence = s.evidence
		}
		if st.replies == nil {
			st.replies = map[string]string{}
		}
		maps.Copy(st.replies, s.replies)
		if !stale {
			st.commentsKnown = true
		}
	})
}

// listed records a complete listing of the issue's comments, made while
// holding the issue's comment lock: it is the truth.
func (c *issueCache) listed(key string, evidence ownComment, replies map[string]string) {
	c.update(key, func(st *issueState, _ bool) {
		st.commentsKnown, st.listFirst = true, false
		st.evidence, st.replies = evidence, replies
	})
}

// wroteLabels records labels the bridge set successfully.
func (c *issueCache) wroteLabels(key string, labels []string) {
	c.update(key, func(st *issueState, _ bool) {
		st.labels, st.labelsKnown, st.wrote = slices.Clone(labels), true, true
	})
}

// forgetLabels makes the next label edit read them first (after an edit
// that failed, possibly applied).
func (c *issueCache) forgetLabels(key string) {
	c.update(key, func(st *issueState, _ bool) { st.labelsKnown = false })
}

// commentStored records a comment the bridge posted or edited.
func (c *issueCache) commentStored(key string, evidence bool, oc ownComment) {
	c.update(key, func(st *issueState, _ bool) {
		st.wrote = true
		if evidence {
			st.evidence = oc
			return
		}
		if st.replies == nil {
			st.replies = map[string]string{}
		}
		st.replies[oc.marker] = oc.id
	})
}

// postUncertain records a POST whose outcome is unknown.
func (c *issueCache) postUncertain(key string) {
	c.update(key, func(st *issueState, _ bool) { st.listFirst = true })
}

// forgetComments makes the next comment write list first (the cached id
// was answered 404 or 403).
func (c *issueCache) forgetComments(key string) {
	c.update(key, func(st *issueState, _ bool) { st.commentsKnown, st.evidence = false, ownComment{} })
}

// keyLocks serialize the bridge's comment writes per issue within the
// process, so two upserts cannot both find no comment and both post.
type keyLocks [64]sync.Mutex

func (l *keyLocks) lock(key string) func() {
	h := fnv.New32a()
	h.Write([]byte(key))
	m := &l[h.Sum32()%uint32(len(l))]
	m.Lock()
	return m.Unlock
}
