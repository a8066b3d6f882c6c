package jirafake

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	jira "github.com/andygrunwald/go-jira"
)

func newTestFake(t *testing.T, opts ...Option) *Fake {
	t.Helper()
	f := New(append([]Option{WithUsers(User{Name: "alice", Email: "alice@example.com", Token: "a"})}, opts...)...)
	t.Cleanup(f.Close)
	return f
}

type call struct {
	method, path, body string
	cloud              bool
	auth               bool
	status             int
	contains           string
}

func do(t *testing.T, f *Fake, c call) (int, string) {
	t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, _ := http.NewRequest(c.method, f.URL()+c.path, body)
	if c.auth {
		if f.IsCloud() {
			req.SetBasicAuth(BotEmail, BotToken)
		} else {
			req.Header.Set("Authorization", "Bearer "+BotToken)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestFaithfulAnswers(t *testing.T) {
	tests := []call{
		{"GET", "/rest/api/2/issue/ACC-1", "", false, false, 401, "must be authenticated"},
		{"GET", "/rest/api/2/issue/ACC-404", "", false, true, 404, `{"errorMessages":["Issue does not exist or you do not have permission to see it."],"errors":{}}`},
		{"GET", "/rest/api/2/issue/ACC-1", "", false, true, 200, `"created":"`},
		{"PUT", "/rest/api/2/issue/ACC-1", `{"fields":`, false, true, 400, "errorMessages"},
		{"PUT", "/rest/api/2/issue/ACC-1", `{"update":{"labels":[{"add":"two words"}]}}`, false, true, 400, "spaces"},
		{"PUT", "/rest/api/2/issue/ACC-1", `{"fields":{"labels":["a","b"]}}`, false, true, 204, ""},
		{"POST", "/rest/api/2/issue/ACC-1/transitions", `{"update":{},"transition":{"id":"41"},"fields":{}}`, false, true, 400, "not valid"},
		{"POST", "/rest/api/2/issue/ACC-1/transitions", `{"update":{},"transition":{"id":"11"},"fields":{}}`, false, true, 204, ""},
		{"PUT", "/rest/api/2/issue/ACC-1/properties/p", ``, false, true, 400, "empty"},
		{"PUT", "/rest/api/2/issue/ACC-1/properties/p", `{"a":1}`, false, true, 201, ""},
		{"PUT", "/rest/api/2/issue/ACC-1/properties/p", `{"a":2}`, false, true, 200, ""},
		{"PUT", "/rest/api/2/issue/ACC-1/properties/p", `"` + strings.Repeat("x", 32768) + `"`, false, true, 400, "too long"},
		{"GET", "/rest/api/2/search?jql=project%20%3D%20ACC%20OR%20key%20%3D%20X", "", false, true, 400, "Error in the JQL Query"},
		{"GET", "/rest/api/2/search?jql=project%20%3D%20ACC%20ORDER%20BY%20updated%20ASC", "", false, true, 200, `"total":1`},
		{"GET", "/rest/api/3/issue/ACC-1", "", false, true, 404, ""},
		{"GET", "/rest/api/2/search?jql=project%3DACC", "", true, true, 410, "CHANGE-2046"},
		{"GET", "/rest/api/3/search/jql?jql=project%3DACC", "", true, true, 200, `"issues":[{"id":"10001"}]`},
		{"GET", "/rest/api/3/search/jql?jql=", "", true, true, 400, "Unbounded"},
		{"POST", "/rest/api/3/issue/ACC-1/comment", `{"body":"plain"}`, true, true, 400, "not valid"},
		{"POST", "/rest/api/3/issue/ACC-1/comment", `{"body":{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"hi"}]}]}}`, true, true, 201, `"type":"doc"`},
		{"POST", "/rest/api/2/issue/ACC-1/comment", `{"body":"hi"}`, true, true, 201, `"body":"hi"`},
		{"GET", "/rest/api/2/myself", "", true, true, 200, `"accountId":"` + BotAccountID},
	}
	// One fake per deployment; the calls run in order and share state.
	fakes := map[bool]*Fake{false: newTestFake(t), true: newTestFake(t, Cloud())}
	for _, f := range fakes {
		if _, err := f.CreateIssue("alice", map[string]any{"project": "ACC", "summary": "s"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range tests {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			f := fakes[c.cloud]
			status, body := do(t, f, c)
			if status != c.status || !strings.Contains(body, c.contains) {
				t.Errorf("got %d %s", status, body)
			}
		})
	}
}

// TestGoJiraReadsTheFake: go-jira parses the fake's timestamps and
// transition payloads.
func TestGoJiraReadsTheFake(t *testing.T) {
	f := newTestFake(t)
	key, _ := f.CreateIssue("alice", map[string]any{"project": "ACC", "summary": "s", "customfield_1": map[string]string{"value": "x"}})
	jc, _ := jira.NewClient((&jira.PATAuthTransport{Token: BotToken}).Client(), f.URL())
	is, _, err := jc.Issue.Get(key, nil)
	if err != nil || is.Fields.Status.Name != "Open" || is.Fields.Created == (jira.Time{}) {
		t.Fatalf("get: %v %+v", err, is)
	}
	if _, err := jc.Issue.DoTransition(key, "11"); err != nil {
		t.Fatal(err)
	}
	if h := f.Transitions(key); len(h) != 1 || h[0].Actor != BotAccountID || h[0].To != "Waiting for approval" {
		t.Errorf("history %+v", h)
	}
	c, _, err := jc.Issue.AddComment(key, &jira.Comment{Body: "ok"})
	if err != nil || c.Author.Name != BotName {
		t.Errorf("comment %v %+v", err, c)
	}
}

func TestWebhookRedelivery(t *testing.T) {
	f := newTestFake(t)
	var mu sync.Mutex
	var ids []string
	srv := httptestServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		ids = append(ids, r.Header.Get("X-Atlassian-Webhook-Identifier"))
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Hub-Signature") != Sign("sec", b) {
			t.Error("bad signature")
		}
		if len(ids) == 1 {
			w.WriteHeader(503)
		}
	})
	f.SetWebhook(srv, "sec")
	f.SetWebhookRetries(2, 0)
	if _, err := f.CreateIssue("alice", map[string]any{"project": "ACC", "summary": "s"}); err != nil {
		t.Fatal(err)
	}
	f.WaitWebhooks()
	d := f.Deliveries()
	if len(ids) != 2 || ids[0] != ids[1] || len(d) != 1 || d[0].Attempts != 2 || d[0].Status != 200 {
		t.Errorf("ids %v deliveries %+v", ids, d)
	}
	var p map[string]any
	if json.Unmarshal(d[0].Body, &p) != nil || p["webhookEvent"] != "jira:issue_created" {
		t.Errorf("payload %s", d[0].Body)
	}
}

func TestConcurrentUse(t *testing.T) {
	f := newTestFake(t)
	key, _ := f.CreateIssue("alice", map[string]any{"project": "ACC", "summary": "s"})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 20 {
				_, _ = f.AddComment("alice", key, "c")
				_, _ = f.Issue(key)
				do(t, f, call{method: "GET", path: "/rest/api/2/issue/" + key, auth: true})
				_ = i
			}
		})
	}
	wg.Wait()
	if n := len(f.Comments(key)); n != 160 {
		t.Errorf("%d comments", n)
	}
}

func FuzzParseJQL(f *testing.F) {
	for _, s := range []string{`project in ("ACC", "OPS") AND updated >= "2024-05-01 10:00" ORDER BY updated ASC`, `key = ACC-1`, `updated > 1714557330000 order by key desc`, `status not in (Done) AND issuetype = 'Access Request'`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := parseJQL(s)
		if err == nil {
			q.sort(nil)
		}
	})
}

// TestEditProperties: Cloud's edit takes issue properties with the
// labels, validated like the properties endpoint and all or nothing;
// Data Center drops the member (its edit bean ignores unknown ones).
func TestEditProperties(t *testing.T) {
	long := `"` + strings.Repeat("é", MaxPropertyValue-1) + `"` // 32769 chars
	tests := []struct {
		name   string
		cloud  bool
		body   string
		status int
		msg    string
		want   string // stored value of "p"; "" = absent
	}{
		{"cloud stores with labels", true, `{"update":{"labels":[{"add":"x"}]},"properties":[{"key":"p","value":{"v": 1}}]}`, 204, "", `{"v":1}`},
		{"cloud property only", true, `{"properties":[{"key":"p","value":"s"}]}`, 204, "", `"s"`},
		{"empty key", true, `{"properties":[{"key":"","value":1}]}`, 400, "key cannot be empty", ""},
		{"long key", true, `{"properties":[{"key":"` + strings.Repeat("k", 256) + `","value":1}]}`, 400, "key is too long", ""},
		{"missing value", true, `{"properties":[{"key":"p"}]}`, 400, "value cannot be empty", ""},
		{"null value", true, `{"properties":[{"key":"p","value":null}]}`, 400, "value cannot be empty", ""},
		{"long value", true, `{"properties":[{"key":"p","value":` + long + `}]}`, 400, "too long", ""},
		{"not an array", true, `{"properties":{"key":"p","value":1}}`, 400, "expected an array", ""},
		{"bad label rolls back", true, `{"update":{"labels":[{"add":"two words"}]},"properties":[{"key":"p","value":1}]}`, 400, "spaces", ""},
		{"datacenter ignores", false, `{"update":{"labels":[{"add":"x"}]},"properties":[{"key":"p","value":1}]}`, 204, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var opts []Option
			if tc.cloud {
				opts = append(opts, Cloud())
			}
			f := newTestFake(t, opts...)
			key, err := f.CreateIssue("alice", map[string]any{"project": "ACC", "summary": "s"})
			if err != nil {
				t.Fatal(err)
			}
			status, body := do(t, f, call{method: "PUT", path: "/rest/api/2/issue/" + key, body: tc.body, auth: true})
			if status != tc.status || !strings.Contains(body, tc.msg) {
				t.Fatalf("got %d %s", status, body)
			}
			if status == 400 && !strings.Contains(body, `"errorMessages":[`) && !strings.Contains(body, `"errors":{"`) {
				t.Errorf("not Jira's error body: %s", body)
			}
			is, _ := f.Issue(key)
			if got := string(is.Properties["p"]); got != tc.want {
				t.Errorf("stored %q, want %q", got, tc.want)
			}
			if status != 204 && len(is.Labels) != 0 {
				t.Errorf("labels %v applied by a refused edit", is.Labels)
			}
			if tc.want != "" {
				status, body = do(t, f, call{method: "GET", path: "/rest/api/2/issue/" + key + "/properties/p", auth: true})
				if status != 200 || !strings.Contains(body, tc.want) {
					t.Errorf("read back: %d %s", status, body)
				}
			}
		})
	}
}

func FuzzParseProperties(f *testing.F) {
	for _, s := range []string{`[{"key":"p","value":{"a":1}}]`, `[{"key":"","value":1}]`, `{"key":"p"}`, `null`, `[{"key":"p","value":null}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		props, e := parseProperties(raw)
		if e != nil && props != nil {
			t.Fatal("properties with an error")
		}
		for k, v := range props {
			if k == "" || len(k) > MaxPropertyKey || !json.Valid(v) {
				t.Fatalf("accepted %q = %s", k, v)
			}
		}
	})
}
