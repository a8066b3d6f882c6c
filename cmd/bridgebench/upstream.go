package main

import (
	"context"
	"errors"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/accessbridge/accessbridge/adapters/jira/jirafake"
)

// upstream is the Jira fake on a loopback port, wrapped so the tool sees
// every call the bridge makes: which endpoint, for which kind of ticket,
// with which status, and when each ticket was fetched and written.
type upstream struct {
	fake *jirafake.Fake
	url  string
	srv  *http.Server

	// unknownIdentity counts calls for keys the tool did not create as
	// identity calls (the Slack scenario's tickets are created by the bridge).
	unknownIdentity bool

	mu     sync.Mutex
	kinds  map[string]bool // ticket key → identity-impacting
	calls  map[string]int  // "identity|GET issue/{key}" → n
	status map[int]int
	marks  map[string]*marks
	dirty  map[string]struct{} // keys with new marks since the last drain
}

// marks are the upstream moments of a ticket's current event.
type marks struct {
	since      time.Time // the event's webhook was sent
	fetch      time.Time // first full read of the ticket after since
	firstWrite time.Time
	lastWrite  time.Time
}

// Ticket classes for call accounting.
const (
	classIdentity = "identity"
	classOther    = "non_identity"
	classNone     = "no_ticket" // search, myself
)

// startUpstream starts the fake as Jira Cloud (emails hidden, Basic
// email:token auth) or Data Center (PAT).
func startUpstream(seed uint64, users []jirafake.User, cloud bool) (*upstream, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	u := &upstream{
		url:   "http://" + ln.Addr().String(),
		kinds: map[string]bool{}, calls: map[string]int{}, status: map[int]int{}, marks: map[string]*marks{}, dirty: map[string]struct{}{},
	}
	opts := []jirafake.Option{jirafake.WithProjects("ACC"), jirafake.WithSeed(seed), jirafake.WithUsers(users...)}
	if cloud {
		opts = append(opts, jirafake.Cloud())
	}
	u.fake = jirafake.NewUnstarted(opts...)
	u.fake.SetBaseURL(u.url)
	u.srv = &http.Server{Handler: u.observe(u.fake.Handler()), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := u.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(err)
		}
	}()
	return u, nil
}

func (u *upstream) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = u.srv.Shutdown(ctx)
	u.fake.Close()
}

// track registers a ticket's class; begin resets its marks for a new event.
func (u *upstream) track(key string, identity bool) {
	u.mu.Lock()
	u.kinds[key] = identity
	u.mu.Unlock()
}

func (u *upstream) begin(key string, at time.Time) {
	u.mu.Lock()
	u.marks[key] = &marks{since: at}
	u.mu.Unlock()
}

func (u *upstream) marksOf(key string) marks {
	u.mu.Lock()
	defer u.mu.Unlock()
	if m := u.marks[key]; m != nil {
		return *m
	}
	return marks{}
}

func (u *upstream) forget(key string) {
	u.mu.Lock()
	delete(u.marks, key)
	u.mu.Unlock()
}

func (u *upstream) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		u.account(r, rec.status, time.Now())
	})
}

func (u *upstream) account(r *http.Request, status int, at time.Time) {
	endpoint, key := endpointOf(r.URL.Path)
	u.mu.Lock()
	defer u.mu.Unlock()
	class := classNone
	if key != "" {
		class = classOther
		if identity, known := u.kinds[key]; identity || (!known && u.unknownIdentity) {
			class = classIdentity
		}
	}
	u.calls[class+"|"+r.Method+" "+endpoint]++
	u.status[status]++
	m := u.marks[key]
	if m == nil || status >= 300 {
		return
	}
	switch {
	case r.Method == http.MethodGet && endpoint == "issue/{key}" && strings.Contains(r.URL.RawQuery, "comment"):
		if m.fetch.IsZero() {
			m.fetch = at
			u.dirty[key] = struct{}{}
		}
	case r.Method != http.MethodGet:
		if m.firstWrite.IsZero() {
			m.firstWrite = at
		}
		m.lastWrite = at
		u.dirty[key] = struct{}{}
	}
}

// drain returns the marks of the keys that saw a fetch or write since the
// last call.
func (u *upstream) drain() map[string]marks {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make(map[string]marks, len(u.dirty))
	for k := range u.dirty {
		if m := u.marks[k]; m != nil {
			out[k] = *m
		}
	}
	clear(u.dirty)
	return out
}

// endpointOf turns /rest/api/2/issue/ACC-1/comment/123 into
// "issue/{key}/comment/{id}" and the key ACC-1.
func endpointOf(path string) (endpoint, key string) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) < 4 || parts[0] != "rest" || parts[1] != "api" {
		return path, ""
	}
	rest := parts[3:]
	if rest[0] != "issue" || len(rest) < 2 {
		return strings.Join(rest, "/"), ""
	}
	key = rest[1]
	out := []string{"issue", "{key}"}
	for i := 2; i < len(rest); i++ {
		switch {
		case i == 3 && rest[2] == "comment":
			out = append(out, "{id}")
		case i == 3 && rest[2] == "properties":
			out = append(out, "{prop}")
		default:
			out = append(out, rest[i])
		}
	}
	return strings.Join(out, "/"), key
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) { s.status = code; s.ResponseWriter.WriteHeader(code) }

// callCounts returns the calls by class and endpoint, and by status.
func (u *upstream) callCounts() (map[string]map[string]int, map[int]int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := map[string]map[string]int{}
	for k, n := range u.calls {
		class, ep, _ := strings.Cut(k, "|")
		if out[class] == nil {
			out[class] = map[string]int{}
		}
		out[class][ep] = n
	}
	st := make(map[int]int, len(u.status))
	for k, v := range u.status {
		st[k] = v
	}
	return out, st
}

// flatCalls returns the calls so far keyed "class|METHOD endpoint".
func (u *upstream) flatCalls() map[string]int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return maps.Clone(u.calls)
}
