// Package memsource is an in-memory ticket source for tests of the pipeline:
// tickets live in a map, webhooks are HMAC-signed JSON, and every applied
// action is recorded so tests can assert what the "upstream" received.
package memsource

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
)

// Source is a concurrency-safe in-memory source.
type Source struct {
	name   string
	secret []byte

	mu       sync.Mutex
	tickets  map[string]bridge.Ticket
	changes  []change
	applied  []bridge.Action
	comments map[string]string // key → the bridge's one comment
	failNext int
	throttle int
	fetches  int
}

type change struct {
	key string
	at  time.Time
}

var (
	_ bridge.Source  = (*Source)(nil)
	_ bridge.Creator = (*Source)(nil)
)

// Create files a request as a new ticket reported by the bridge itself (no
// requester on the ticket), as Jira Cloud does when the reporter cannot be set.
func (s *Source) Create(_ context.Context, r bridge.Request) (bridge.Ticket, error) {
	s.mu.Lock()
	key := fmt.Sprintf("NEW-%d", len(s.tickets)+1)
	s.mu.Unlock()
	t := s.Put(bridge.Ticket{Key: key, Status: "Open", Summary: "Access request: " + r.Resource + " " + r.Role,
		Description: r.Justification, Fields: map[string]string{"resource": r.Resource, "role": r.Role, "duration": r.Duration}})
	return t, nil
}

// New returns a source named name whose webhooks are signed with secret.
func New(name, secret string) *Source {
	return &Source{name: name, secret: []byte(secret), tickets: map[string]bridge.Ticket{}, comments: map[string]string{}}
}

func (s *Source) Name() string { return s.name }

// Put stores or replaces a ticket, bumping its Updated time.
func (s *Source) Put(t bridge.Ticket) bridge.Ticket {
	s.mu.Lock()
	defer s.mu.Unlock()
	t.Source = s.name
	if t.Updated.IsZero() {
		t.Updated = time.Now().UTC()
	}
	if old, ok := s.tickets[t.Key]; ok && !t.Updated.After(old.Updated) {
		t.Updated = old.Updated.Add(time.Millisecond)
	}
	s.tickets[t.Key] = t
	s.changes = append(s.changes, change{t.Key, t.Updated})
	return t
}

// Fetch returns the current ticket.
func (s *Source) Fetch(_ context.Context, key string) (bridge.Ticket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetches++
	if s.failNext > 0 {
		s.failNext--
		return bridge.Ticket{}, &bridge.UpstreamError{Op: "fetch", Status: 503, Reason: "server_error", Retryable: true}
	}
	if s.throttle > 0 {
		s.throttle--
		return bridge.Ticket{}, &bridge.UpstreamError{Op: "fetch", Status: 429, Reason: "throttled", Retryable: true, RetryAfter: 50 * time.Millisecond}
	}
	t, ok := s.tickets[key]
	if !ok {
		return bridge.Ticket{}, fmt.Errorf("%s: %w", key, bridge.ErrNotFound)
	}
	t.Comments = slices.Clone(t.Comments)
	return t, nil
}

// FailNext makes the next n fetches fail with a retryable 503.
func (s *Source) FailNext(n int) {
	s.mu.Lock()
	s.failNext = n
	s.mu.Unlock()
}

// ThrottleNext answers the next n fetches 429 with a 50 ms Retry-After.
func (s *Source) ThrottleNext(n int) {
	s.mu.Lock()
	s.throttle = n
	s.mu.Unlock()
}

// Fetches counts Fetch calls.
func (s *Source) Fetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

// Delivery is the webhook body this source accepts.
type Delivery struct {
	ID       string `json:"id"`
	Key      string `json:"key"`
	Kind     string `json:"kind"`
	Revision string `json:"revision"`
	Actor    string `json:"actor"`
	From     string `json:"from,omitempty"`
	To       string `json:"to,omitempty"`
	ByBridge bool   `json:"by_bridge,omitempty"`
}

// Sign returns the X-Signature header value for body.
func (s *Source) Sign(body []byte) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Webhook verifies X-Signature and parses a Delivery.
func (s *Source) Webhook(r *http.Request, body []byte) ([]bridge.Event, error) {
	if !hmac.Equal([]byte(r.Header.Get("X-Signature")), []byte(s.Sign(body))) {
		return nil, fmt.Errorf("memsource: %w", bridge.ErrUnauthorized)
	}
	var d Delivery
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, fmt.Errorf("memsource: %v: %w", err, bridge.ErrMalformed)
	}
	if d.ID == "" || d.Key == "" {
		return nil, fmt.Errorf("memsource: id and key are required: %w", bridge.ErrMalformed)
	}
	if strings.HasPrefix(d.Key, "IGNORED-") {
		return nil, fmt.Errorf("memsource: project not watched: %w", bridge.ErrIgnored)
	}
	e := bridge.Event{Source: s.name, DeliveryID: d.ID, Key: d.Key, Kind: d.Kind, Revision: d.Revision,
		Actor: bridge.Actor{ID: d.Actor, Email: d.Actor}, ByBridge: d.ByBridge, At: time.Now()}
	if d.To != "" {
		e.Transition = &bridge.Transition{From: d.From, To: d.To}
	}
	return []bridge.Event{e}, nil
}

// Poll returns tickets changed since the cursor (RFC 3339 nano).
func (s *Source) Poll(_ context.Context, cursor string) ([]bridge.Event, string, error) {
	var since time.Time
	if cursor != "" {
		var err error
		if since, err = time.Parse(time.RFC3339Nano, cursor); err != nil {
			return nil, "", fmt.Errorf("memsource: cursor: %w", bridge.ErrPermanent)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []bridge.Event
	next := since
	for _, c := range s.changes {
		if !c.at.After(since) {
			continue
		}
		rev := c.at.Format(time.RFC3339Nano)
		out = append(out, bridge.Event{Source: s.name, DeliveryID: "poll:" + c.key + ":" + rev, Key: c.key, Kind: bridge.EventUpdated, Revision: rev, At: c.at})
		if c.at.After(next) {
			next = c.at
		}
	}
	if next.IsZero() {
		return out, cursor, nil
	}
	return out, next.Format(time.RFC3339Nano), nil
}

// Apply records the action and mirrors its effect on the ticket.
func (s *Source) Apply(_ context.Context, a bridge.Action) (bridge.ActionResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applied = append(s.applied, a)
	t := s.tickets[a.Ticket.Key]
	switch a.Kind {
	case bridge.ActionComment:
		s.comments[a.Ticket.Key] = a.Body
	case bridge.ActionLabel, bridge.ActionEvidence:
		t.Labels = slices.DeleteFunc(t.Labels, func(l string) bool {
			return strings.HasPrefix(l, "access-") || strings.HasPrefix(l, "identity-impact-")
		})
		t.Labels = append(t.Labels, a.Labels...)
	case bridge.ActionRevert:
		if !strings.EqualFold(t.Status, a.Revert.From) {
			return bridge.ActionResult{Detail: "already moved"}, nil
		}
		if a.Revert.To == "" {
			return bridge.ActionResult{Detail: "no_way_back"}, nil
		}
		t.Status = a.Revert.To
		t.Updated = t.Updated.Add(time.Millisecond)
	}
	if t.Key != "" {
		s.tickets[a.Ticket.Key] = t
	}
	return bridge.ActionResult{Detail: "ok"}, nil
}

// Applied returns the actions applied so far.
func (s *Source) Applied() []bridge.Action {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.applied)
}

// Comment returns the bridge's comment on key.
func (s *Source) Comment(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.comments[key]
}
