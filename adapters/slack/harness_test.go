package slack

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accessbridge/accessbridge/adapters/slack/slackfake"
	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/policy"
)

const testSecret = "s3cr3t-signing"

// --- in-memory collaborators ---

type job struct {
	kind    string
	payload []byte
}

type auditRec struct {
	kind string
	ref  bridge.Ref
	data any
}

type approvalRec struct {
	ref bridge.Ref
	a   policy.Approval
}

type fakeBackend struct {
	mu        sync.Mutex
	pol       *policy.Policy
	jobs      []job
	submitted []bridge.Request
	approvals []approvalRec
	audits    []auditRec
	statuses  map[bridge.Ref]Status
	enqErr    error
	discard   bool // benchmarks: accept jobs without keeping them
}

func (b *fakeBackend) Enqueue(_ context.Context, kind string, payload []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.enqErr != nil {
		return b.enqErr
	}
	if b.discard {
		return nil
	}
	b.jobs = append(b.jobs, job{kind, payload})
	return nil
}

func (b *fakeBackend) Submit(_ context.Context, req bridge.Request) (policy.Ticket, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.submitted = append(b.submitted, req)
	key := "ACC-" + string(rune('0'+len(b.submitted)))
	return policy.Ticket{Source: "jira", Key: key, URL: "https://jira.example.com/browse/" + key}, nil
}

func (b *fakeBackend) Status(_ context.Context, ref bridge.Ref) (Status, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st, ok := b.statuses[ref]
	if !ok {
		return Status{}, bridge.ErrNotFound
	}
	return st, nil
}

func (b *fakeBackend) Mine(_ context.Context, requester string) ([]Status, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Status
	for _, st := range b.statuses {
		if st.Requester == requester {
			out = append(out, st)
		}
	}
	return out, nil
}

func (b *fakeBackend) Approve(_ context.Context, ref bridge.Ref, a policy.Approval) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.approvals = append(b.approvals, approvalRec{ref, a})
	if st, ok := b.statuses[ref]; ok && a.Decision == policy.Approve {
		st.Approvers = append(st.Approvers, a.By)
		b.statuses[ref] = st
	}
	return nil
}

func (b *fakeBackend) Audit(_ context.Context, kind string, ref bridge.Ref, data any) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.audits = append(b.audits, auditRec{kind, ref, data})
	return nil
}

func (b *fakeBackend) Policy() *policy.Policy { return b.pol }

func (b *fakeBackend) auditKinds() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, a := range b.audits {
		out = append(out, a.kind)
	}
	return out
}

type fakeDir struct {
	people map[string]policy.Person
}

func (d *fakeDir) Lookup(_ context.Context, email string) (policy.Person, error) {
	p, ok := d.people[strings.ToLower(email)]
	if !ok {
		return policy.Person{}, bridge.ErrNotFound
	}
	return p, nil
}

func (d *fakeDir) Members(_ context.Context, group string) ([]policy.Person, error) {
	var out []policy.Person
	for _, p := range d.people {
		if p.InGroup(group) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b policy.Person) int { return strings.Compare(a.Email, b.Email) })
	return out, nil
}

func (d *fakeDir) OwnedBy(_ context.Context, owner string) ([]policy.Person, error) {
	var out []policy.Person
	for _, p := range d.people {
		if strings.EqualFold(p.Owner, owner) {
			out = append(out, p)
		}
	}
	return out, nil
}

type memStore struct {
	mu   sync.Mutex
	msgs []bridge.Message
}

func (s *memStore) PutMessage(_ context.Context, m bridge.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	return nil
}

func (s *memStore) Messages(_ context.Context, ref bridge.Ref) ([]bridge.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []bridge.Message
	for _, m := range s.msgs {
		if m.Ticket == ref {
			out = append(out, m)
		}
	}
	return out, nil
}

// --- the environment every test starts from ---

type env struct {
	fake  *slackfake.Server
	app   *App
	be    *fakeBackend
	dir   *fakeDir
	store *memStore
	clock time.Time
}

// testPolicyYAML is the catalog and rules the tests run against.
const testPolicyYAML = `version: 1
resources:
  - name: prod-db
    description: Production Postgres
    roles: [read, admin]
    max_duration: 7d
    aliases: [pg, prod database]
  - name: vpn
    roles: [user]
  - name: wiki
approvals:
  - name: critical
    if: classification.impact == 'critical'
    require:
      - from: manager
      - from: group:security
    channels: [slack, ticket]
    remind_after: 4h
    escalate_after: 24h
    escalate_to: group:it-leads
  - name: ticket-only
    if: classification.impact == 'high'
    require:
      - from: manager
    channels: [ticket]
`

var testCatalog = mustPolicy(testPolicyYAML)

func mustPolicy(src string) *policy.Policy {
	p, err := policy.Parse("test-policy.yaml", []byte(src))
	if err != nil {
		panic(err)
	}
	return p
}

// People: alice asks; bob is her manager; carol and dave are in security
// (alice is too, to prove requesters are excluded); eve is nobody special;
// frank has left; lee leads IT; svc-ci is alice's service account.
func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{fake: slackfake.New(), clock: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	t.Cleanup(e.fake.Close)
	people := []struct {
		slackID string
		p       policy.Person
	}{
		{"UALICE", policy.Person{Email: "alice@example.com", Name: "Alice", Active: true, EmploymentType: "employee", Manager: "bob@example.com", Groups: []string{"security"}}},
		{"UBOB", policy.Person{Email: "bob@example.com", Active: true, EmploymentType: "employee"}},
		{"UCAROL", policy.Person{Email: "carol@example.com", Active: true, EmploymentType: "employee", Groups: []string{"security"}}},
		{"UDAVE", policy.Person{Email: "dave@example.com", Active: true, EmploymentType: "employee", Groups: []string{"security"}}},
		{"UEVE", policy.Person{Email: "eve@example.com", Active: true, EmploymentType: "employee"}},
		{"UFRANK", policy.Person{Email: "frank@example.com", Active: true, EmploymentType: "contractor", EndDate: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}},
		{"ULEE", policy.Person{Email: "lee@example.com", Active: true, EmploymentType: "employee", Groups: []string{"it-leads"}}},
		{"", policy.Person{Email: "svc-ci@example.com", Active: true, EmploymentType: "service_account", Owner: "alice@example.com"}},
	}
	e.dir = &fakeDir{people: map[string]policy.Person{}}
	for _, x := range people {
		e.dir.people[x.p.Email] = x.p
		if x.slackID != "" {
			e.fake.AddUser(slackfake.User{ID: x.slackID, Name: strings.Split(x.p.Email, "@")[0], Email: x.p.Email})
		}
	}
	e.fake.AddUser(slackfake.User{ID: "UGHOST", Name: "ghost", Email: "ghost@example.com"}) // in Slack, not in the directory
	e.be = &fakeBackend{pol: testCatalog, statuses: map[bridge.Ref]Status{}}
	e.store = &memStore{}
	app, err := New(Config{
		BotToken: slackfake.DefaultToken, SigningSecret: testSecret, APIURL: e.fake.APIURL(),
		RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond, RetryMax: 3,
	}, e.be, e.dir, e.store, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return e.clock })
	if err != nil {
		t.Fatal(err)
	}
	e.app = app
	return e
}

// command sends a signed slash command as Slack would.
func (e *env) command(t *testing.T, user, text string) (*httptest.ResponseRecorder, string) {
	t.Helper()
	ru := e.fake.ResponseURL()
	form := url.Values{"command": {"/access"}, "text": {text}, "user_id": {user}, "team_id": {"T0FAKE"},
		"channel_id": {"C0ACCESS"}, "response_url": {ru}, "trigger_id": {"1337." + user}}
	r := slackfake.SignedCommand("http://bridge.test/slack/commands", testSecret, form, e.clock)
	w := httptest.NewRecorder()
	e.app.Commands().ServeHTTP(w, r)
	return w, ru
}

// interact sends a signed interaction payload.
func (e *env) interact(t *testing.T, payload any) *httptest.ResponseRecorder {
	t.Helper()
	r := slackfake.SignedInteraction("http://bridge.test/slack/interactions", testSecret, payload, e.clock)
	w := httptest.NewRecorder()
	e.app.Interactions().ServeHTTP(w, r)
	return w
}

// click presses a button as user, the way Slack reports it.
func (e *env) click(t *testing.T, user, actionID, value string) string {
	t.Helper()
	ru := e.fake.ResponseURL()
	w := e.interact(t, map[string]any{
		"type": "block_actions", "trigger_id": "1337.click." + user, "response_url": ru,
		"user":      map[string]any{"id": user},
		"container": map[string]any{"type": "message", "message_ts": "1.1", "channel_id": "D1"},
		"actions": []map[string]any{{"type": "button", "action_id": actionID, "block_id": "decide|" + value,
			"value": value, "action_ts": "1714557412.112233"}},
	})
	if w.Code != http.StatusOK {
		t.Fatalf("click answered %d: %s", w.Code, w.Body)
	}
	return ru
}

// drain runs every enqueued job, including jobs those jobs enqueue.
func (e *env) drain(t *testing.T) {
	t.Helper()
	for {
		e.be.mu.Lock()
		jobs := e.be.jobs
		e.be.jobs = nil
		e.be.mu.Unlock()
		if len(jobs) == 0 {
			return
		}
		for _, j := range jobs {
			if err := e.app.Work(context.Background(), j.kind, j.payload); err != nil {
				t.Fatalf("Work(%s): %v", j.kind, err)
			}
		}
	}
}

func (e *env) responses(ru string) string {
	var parts []string
	for _, p := range e.fake.Responses(ru) {
		parts = append(parts, p.AllText())
	}
	return strings.Join(parts, "\n")
}

// pendingStatus is a critical request by alice waiting on her manager and security.
func pendingStatus() Status {
	return Status{
		Ticket: bridge.Ref{Source: "jira", Key: "ACC-17"}, URL: "https://jira.example.com/browse/ACC-17",
		Summary: "Need admin on prod-db", Requester: "alice@example.com", Resource: "prod-db", Role: "admin",
		Duration: "8h", Justification: "INC-42 <!channel> outage", Category: "privileged_access", Impact: "critical",
		Verdict: policy.Pending, Eligible: true, Rule: "critical", Channels: []string{"slack", "ticket"},
		Missing: []policy.Requirement{
			{Name: "manager", From: []string{"manager"}, Count: 1, Candidates: []string{"bob@example.com"}},
			{Name: "group:security", From: []string{"group:security"}, Count: 1},
		},
	}
}

func (e *env) setStatus(st Status) {
	e.be.mu.Lock()
	defer e.be.mu.Unlock()
	e.be.statuses[st.Ticket] = st
}

func decodeJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
}
