package jira

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/accessbridge/accessbridge/adapters/jira/jirafake"
)

var people = []jirafake.User{
	{AccountID: "acc-alice", Name: "alice", Email: "alice@example.com", DisplayName: "Alice", Token: "alice-token"},
	{AccountID: "acc-bob", Name: "bob", Email: "bob@example.com", DisplayName: "Bob", Token: "bob-token"},
	{AccountID: "acc-carol", Name: "carol", Email: "carol@example.com", DisplayName: "Carol"},
}

var fieldMap = map[string]string{
	"resource": "customfield_10050", "role": "customfield_10051", "duration": "customfield_10052",
	"subject": "customfield_10053", "justification": "customfield_10054",
}

type deployment struct {
	name  string
	cloud bool
}

var deployments = []deployment{{"datacenter", false}, {"cloud", true}}

func newFake(t testing.TB, cloud bool, opts ...jirafake.Option) *jirafake.Fake {
	t.Helper()
	opts = append([]jirafake.Option{jirafake.WithUsers(people...), jirafake.WithProjects("ACC", "OPS")}, opts...)
	if cloud {
		opts = append(opts, jirafake.Cloud())
	}
	f := jirafake.New(opts...)
	t.Cleanup(f.Close)
	return f
}

func testConfig(f *jirafake.Fake) Config {
	cfg := Config{
		URL: f.URL(), Projects: []string{"ACC"}, FieldMap: fieldMap, PageSize: 3,
		RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond, RetryMax: 3,
		EvidenceURL: "https://bridge.example.com",
	}
	if f.IsCloud() {
		cfg.Deployment, cfg.Email, cfg.APIToken = Cloud, jirafake.BotEmail, jirafake.BotToken
		cfg.AccountEmails = map[string]string{"acc-alice": "alice@example.com", "acc-bob": "bob@example.com"}
	} else {
		cfg.Deployment, cfg.PAT = DataCenter, jirafake.BotToken
	}
	return cfg
}

func newSource(t testing.TB, f *jirafake.Fake, mut ...func(*Config)) *Source {
	t.Helper()
	cfg := testConfig(f)
	for _, m := range mut {
		m(&cfg)
	}
	s, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// request creates an access request as alice and returns its key.
func request(t testing.TB, f *jirafake.Fake, extra map[string]any) string {
	t.Helper()
	fields := map[string]any{
		"project": "ACC", "issuetype": "Access Request", "summary": "Grant prod-db read to alice for 7 days",
		"description": "Need it for incident INC-9", "labels": []string{"access-request"},
		"customfield_10050": map[string]string{"value": "prod-db"}, "customfield_10051": "read",
		"customfield_10052": "7d",
	}
	for k, v := range extra {
		fields[k] = v
	}
	key, err := f.CreateIssue("alice", fields)
	if err != nil {
		t.Fatalf("CreateIssue: %v", err)
	}
	return key
}

// hookSink records webhook deliveries.
type hookSink struct {
	mu   sync.Mutex
	reqs []*http.Request
	bods [][]byte
}

func newHookSink(t testing.TB, f *jirafake.Fake, secret string) *hookSink {
	t.Helper()
	h := &hookSink{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.reqs, h.bods = append(h.reqs, r), append(h.bods, b)
		h.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	f.SetWebhook(srv.URL, secret)
	return h
}

func (h *hookSink) take(f *jirafake.Fake) ([]*http.Request, [][]byte) {
	f.WaitWebhooks()
	h.mu.Lock()
	defer h.mu.Unlock()
	r, b := h.reqs, h.bods
	h.reqs, h.bods = nil, nil
	return r, b
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}
