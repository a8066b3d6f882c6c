// Package jirafake is a stateful, in-process Jira (Cloud or Data Center)
// REST API fake. It fails the way Jira fails — authentication, validation,
// throttling, 5xx before or after applying a write — so tests can check the
// bridge's retry and idempotency behaviour, and the load tool can drive it.
// Only loopback addresses are used.
package jirafake

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Default identities. The bridge's account authenticates with BotToken
// (Cloud: Basic BotEmail:BotToken; Data Center: Bearer BotToken).
const (
	BotAccountID = "557058:bot-accessbridge"
	BotName      = "svc-accessbridge"
	BotEmail     = "accessbridge@example.com"
	BotToken     = "bot-token-not-a-secret"
)

// Fake is a running Jira fake. All methods are safe for concurrent use.
type Fake struct {
	mu        sync.RWMutex
	cloud     bool
	hideEmail bool
	now       func() time.Time
	lastTime  time.Time
	users     []*User
	projects  map[string]*project
	workflow  Workflow
	issues    map[string]*issue // by key
	byID      map[string]*issue
	order     []*issue // creation order
	nextIssue int
	nextObj   int // comments, changelog ids
	baseURL   string

	embedComments int // comments an issue's "comment" field carries at most

	faults faultState
	calls  map[string]int
	hooks  *webhooks

	srv     *httptest.Server
	handler http.Handler
}

// Option configures a Fake.
type Option func(*Fake)

// Cloud makes the fake behave like Jira Cloud: Basic email:token auth,
// accountIds without names, hidden emails, v3 endpoints, and the v2 search
// answering 410 Gone. The default is Data Center.
func Cloud() Option { return func(f *Fake) { f.cloud = true; f.hideEmail = true } }

// ShowEmails makes Cloud user objects carry emailAddress (as when users
// allow it in their profile visibility settings).
func ShowEmails() Option { return func(f *Fake) { f.hideEmail = false } }

// WithUsers adds users (besides the bridge's own account).
func WithUsers(us ...User) Option {
	return func(f *Fake) {
		for _, u := range us {
			f.addUser(u)
		}
	}
}

// WithProjects creates projects with the default issue types.
func WithProjects(keys ...string) Option {
	return func(f *Fake) {
		for _, k := range keys {
			f.addProject(k)
		}
	}
}

// WithWorkflow replaces the default workflow.
func WithWorkflow(w Workflow) Option { return func(f *Fake) { f.workflow = w } }

// WithEmbeddedComments caps how many comments an issue's "comment" field
// carries (its total still counts all), as Jira cuts long threads: the
// client must page GET …/comment for the rest.
func WithEmbeddedComments(n int) Option { return func(f *Fake) { f.embedComments = max(n, 0) } }

// WithClock sets the clock used for created/updated timestamps.
func WithClock(now func() time.Time) Option { return func(f *Fake) { f.now = now } }

// WithSeed makes fault injection deterministic.
func WithSeed(seed uint64) Option {
	return func(f *Fake) { f.faults.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }
}

// New starts a fake on a loopback port. Close it when done.
func New(opts ...Option) *Fake {
	f := NewUnstarted(opts...)
	f.srv = httptest.NewServer(f.handler)
	f.baseURL = f.srv.URL
	return f
}

// NewUnstarted builds a fake without a server: serve Handler() yourself
// and call SetBaseURL so self links and webhooks carry the right address.
func NewUnstarted(opts ...Option) *Fake {
	f := &Fake{
		now:       time.Now,
		projects:  map[string]*project{},
		issues:    map[string]*issue{},
		byID:      map[string]*issue{},
		nextIssue: 10000,
		nextObj:   20000,
		workflow:  DefaultWorkflow(),
		calls:     map[string]int{},
		baseURL:   "http://127.0.0.1",

		embedComments: 5000,
	}
	f.faults.rng = rand.New(rand.NewPCG(1, 2))
	f.addUser(User{AccountID: BotAccountID, Name: BotName, Email: BotEmail, DisplayName: "accessbridge", Token: BotToken, Bot: true})
	for _, o := range opts {
		o(f)
	}
	if len(f.projects) == 0 {
		f.addProject("ACC")
	}
	f.hooks = newWebhooks()
	f.handler = f.routes()
	return f
}

// Handler is the fake's HTTP handler.
func (f *Fake) Handler() http.Handler { return f.handler }

// SetBaseURL sets the address used in self links (NewUnstarted only).
func (f *Fake) SetBaseURL(u string) { f.mu.Lock(); f.baseURL = u; f.mu.Unlock() }

// URL is the base URL of the running fake.
func (f *Fake) URL() string { f.mu.RLock(); defer f.mu.RUnlock(); return f.baseURL }

// IsCloud reports whether the fake plays Jira Cloud.
func (f *Fake) IsCloud() bool { return f.cloud }

// Close stops the server and the webhook sender.
func (f *Fake) Close() {
	if f.srv != nil {
		f.srv.Close()
	}
	f.hooks.close()
}

// Calls returns how many requests each route received, keyed by
// "METHOD /path-pattern", e.g. "POST /rest/api/2/issue/{key}/comment".
// Throttled and failed requests count too.
func (f *Fake) Calls() map[string]int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make(map[string]int, len(f.calls))
	for k, v := range f.calls {
		out[k] = v
	}
	return out
}

// ResetCalls zeroes the call counters.
func (f *Fake) ResetCalls() { f.mu.Lock(); f.calls = map[string]int{}; f.mu.Unlock() }

// tick returns a timestamp strictly after the previous one (ms precision),
// so every change moves `updated` forward as in Jira.
func (f *Fake) tick() time.Time {
	t := f.now().UTC().Truncate(time.Millisecond)
	if !t.After(f.lastTime) {
		t = f.lastTime.Add(time.Millisecond)
	}
	f.lastTime = t
	return t
}
