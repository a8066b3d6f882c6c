package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/accessbridge/accessbridge/adapters/jira/jirafake"
	"github.com/accessbridge/accessbridge/adapters/slack/slackfake"
)

// slackSide is the Slack fake on a loopback port, wrapped so the tool
// reads what the bridge posts to response URLs without scanning the fake.
type slackSide struct {
	fake   *slackfake.Server
	url    string
	srv    *http.Server
	secret string
	token  string
	people []dirPerson
	byMail map[string]dirPerson

	mu    sync.Mutex
	posts map[string][]byte // response URL → bodies posted to it, joined
}

// dirPerson is a directory person with the Slack account the tool gives them.
type dirPerson struct {
	Email, Manager, Employment string
	Active                     bool
	SlackID                    string
}

func startSlack(people []dirPerson) (*slackSide, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &slackSide{url: "http://" + ln.Addr().String(), secret: randomHex(16), token: "xoxb-bench-" + randomHex(8),
		people: people, byMail: map[string]dirPerson{}, posts: map[string][]byte{}}
	s.fake = slackfake.NewHandler(s.url)
	s.fake.SetToken(s.token)
	for _, p := range people {
		s.byMail[p.Email] = p
		name, _, _ := strings.Cut(p.Email, "@")
		s.fake.AddUser(slackfake.User{ID: p.SlackID, Name: name, RealName: name, Email: p.Email})
	}
	s.srv = &http.Server{Handler: s.observe(s.fake.Handler()), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(err)
		}
	}()
	return s, nil
}

// env configures the bridge's Slack app against the fake. Retry waits are
// short so a throttled call costs milliseconds, as in the Jira settings.
func (s *slackSide) env() map[string]string {
	return map[string]string{
		"BRIDGE_SLACK_SIGNING_SECRET": s.secret,
		"BRIDGE_SLACK_BOT_TOKEN":      s.token,
		"BRIDGE_SLACK_API_URL":        s.fake.APIURL(),
		"BRIDGE_SLACK_TICKET_SOURCE":  "jira",
	}
}

func (s *slackSide) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}

// observe keeps a copy of every accepted response_url post.
func (s *slackSide) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/response/") {
			next.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		if rec.status < 300 {
			s.mu.Lock()
			u := s.url + r.URL.Path
			s.posts[u] = append(append(s.posts[u], body...), '\n')
			s.mu.Unlock()
		}
	})
}

// posted returns what the bridge posted to a response URL so far.
func (s *slackSide) posted(responseURL string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.posts[responseURL])
}

// slackMethods are the Web API methods the fake serves, plus response URLs.
var slackMethods = []string{"auth.test", "chat.postMessage", "chat.update", "chat.postEphemeral", "views.open",
	"views.update", "users.info", "users.lookupByEmail", "conversations.open", "response_url"}

func (s *slackSide) calls() map[string]int {
	out := make(map[string]int, len(slackMethods))
	for _, m := range slackMethods {
		out[m] = s.fake.Calls(m)
	}
	return out
}

// readPeople reads the directory CSV (email, active, employment_type and
// manager columns) and gives every person a Slack id.
func readPeople(path string) ([]dirPerson, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	people, err := parsePeople(f)
	if err != nil {
		return nil, fmt.Errorf("directory %s: %w", path, err)
	}
	return people, nil
}

func parsePeople(r io.Reader) ([]dirPerson, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) < 2 {
		return nil, errors.New("want a CSV with a header and people")
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.TrimSpace(strings.ToLower(h))] = i
	}
	for _, c := range []string{"email", "active", "employment_type", "manager"} {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("no %s column", c)
		}
	}
	var out []dirPerson
	for i, r := range rows[1:] {
		get := func(c string) string {
			if j := col[c]; j < len(r) {
				return strings.TrimSpace(r[j])
			}
			return ""
		}
		out = append(out, dirPerson{Email: strings.ToLower(get("email")), Manager: strings.ToLower(get("manager")),
			Employment: get("employment_type"), Active: strings.EqualFold(get("active"), "true"),
			SlackID: fmt.Sprintf("U%07d", i+1)})
	}
	return out, nil
}

// jiraUsersOf makes every directory person a Jira user, so a Data Center
// create can name them as reporter and Cloud accountIds map to them.
func jiraUsersOf(people []dirPerson) []jirafake.User {
	out := make([]jirafake.User, 0, len(people))
	for _, p := range people {
		name, _, _ := strings.Cut(p.Email, "@")
		out = append(out, jirafake.User{AccountID: "acc-" + name, Name: name, Email: p.Email, DisplayName: name})
	}
	return out
}

// slackRequesters are the people who may ask with a human manager to
// approve: active employees whose manager is an active employee.
func (s *slackSide) slackRequesters() []dirPerson {
	var out []dirPerson
	for _, p := range s.people {
		m, ok := s.byMail[p.Manager]
		if p.Active && p.Employment == "employee" && ok && m.Active && m.Employment == "employee" && m.Email != p.Email {
			out = append(out, p)
		}
	}
	return out
}
