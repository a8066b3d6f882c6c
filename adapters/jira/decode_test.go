package jira

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/accessbridge/accessbridge/policy"
)

const dcIssue = `{"id":"10042","key":"ACC-17","fields":{
 "issuetype":{"id":"10002","name":"Access Request"},"project":{"key":"ACC"},
 "status":{"id":"3","name":"In Progress","statusCategory":{"key":"indeterminate"}},
 "summary":"Grant prod-db read to jdoe for 7 days","description":"Need it for incident INC-9",
 "reporter":{"name":"jdoe","key":"jdoe","emailAddress":"JDoe@example.com"},
 "assignee":null,"labels":["access","prod"],"components":[{"id":"10100","name":"Databases"}],
 "priority":{"id":"2","name":"High"},"created":"2024-05-01T10:15:30.000+0000","updated":"2024-05-01T11:00:00.123+0200",
 "customfield_10050":{"id":"10201","value":"prod-db"},"customfield_10051":["read","write"],
 "customfield_10052":7,"customfield_10053":{"name":"svc-etl","emailAddress":"svc-etl@example.com"},
 "customfield_10054":{"value":"Cloud","child":{"value":"AWS"}},
 "comment":{"comments":[{"id":"1","author":{"name":"svc-accessbridge"},"body":"x ⟦accessbridge evidence 1⟧","created":"2024-05-01T10:16:00.000+0000"},
  {"id":"2","author":{"name":"mlee","emailAddress":"mlee@example.com"},"body":"/approve","created":"2024-05-01T10:17:00.000+0000"}],"total":2}}}`

const cloudIssue = `{"id":"10043","key":"ACC-18","fields":{
 "issuetype":{"name":"Access Request"},"project":{"key":"ACC"},"status":{"name":"Open"},"summary":"s",
 "description":{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"line one"}]},{"type":"bulletList","content":[{"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"item"}]}]}]}]},
 "reporter":{"accountId":"5b10ac8d82e05b22cc7d4ef5","displayName":"J"},
 "created":"2024-05-01T10:15:30.000+0000","updated":"2024-05-01T10:15:30.000+0000",
 "customfield_10053":{"accountId":"5b10a2844c20165700ede21g"}}}`

var testMapping = Mapping{BaseURL: "https://jira.example.com", FieldMap: map[string]string{
	"resource": "customfield_10050", "role": "customfield_10051", "duration": "customfield_10052",
	"subject": "customfield_10053", "justification": "customfield_10054"},
	AccountEmails: map[string]string{"5b10ac8d82e05b22cc7d4ef5": "jdoe@example.com"}, BotAccount: "svc-accessbridge"}

func TestDecodeIssue(t *testing.T) {
	tk, err := DecodeIssue([]byte(dcIssue), testMapping)
	must(t, err)
	checks := map[string][2]string{
		"requester": {tk.Requester, "jdoe@example.com"}, "subject": {tk.Subject, "svc-etl@example.com"},
		"resource": {tk.Fields["resource"], "prod-db"}, "role": {tk.Fields["role"], "read,write"},
		"duration": {tk.Fields["duration"], "7"}, "cascade": {tk.Fields["justification"], "Cloud/AWS"},
		"url": {tk.URL, "https://jira.example.com/browse/ACC-17"}, "status": {tk.Status, "In Progress"},
		"updated": {tk.Updated.Format("15:04:05.000Z07:00"), "09:00:00.123Z"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
	if len(tk.Comments) != 2 || !tk.Comments[0].ByBridge || tk.Comments[1].ByBridge || tk.Comments[1].Author != "mlee@example.com" {
		t.Errorf("comments %+v", tk.Comments)
	}

	ct, err := DecodeIssue([]byte(cloudIssue), testMapping)
	must(t, err)
	if ct.Description != "line one\n* item" || ct.Requester != "jdoe@example.com" || ct.Subject != "" {
		t.Errorf("cloud: %+v", ct)
	}
}

func TestDecodeErrorsNameTheIssue(t *testing.T) {
	bad := strings.Replace(dcIssue, `"created":"2024-05-01T10:15:30.000+0000"`, `"created":"yesterday"`, 1)
	_, err := DecodeIssue([]byte(bad), testMapping)
	if err == nil || !strings.Contains(err.Error(), "ACC-17") || !strings.Contains(err.Error(), "created") {
		t.Errorf("err = %v", err)
	}
	search := `{"startAt":0,"total":2,"issues":[` + dcIssue + `,{"key":"ACC-19","fields":{"summary":5}}]}`
	err = DecodeSearch(strings.NewReader(search), testMapping, func(policy.Ticket) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "issue 1 (ACC-19) at byte") {
		t.Errorf("search err = %v", err)
	}
	stop := errors.New("stop")
	if err := DecodeSearch(strings.NewReader(search), testMapping, func(policy.Ticket) error { return stop }); err != stop {
		t.Errorf("callback error = %v", err)
	}
}

func TestDecodeSearchShapes(t *testing.T) {
	for name, in := range map[string]string{
		"dc":    `{"expand":"schema","startAt":0,"maxResults":50,"total":2,"issues":[` + dcIssue + `,` + cloudIssue + `],"names":{"a":"b"}}`,
		"cloud": `{"issues":[` + dcIssue + `,` + cloudIssue + `],"nextPageToken":"x","isLast":false}`,
		"array": `[` + dcIssue + `,` + cloudIssue + `]`,
	} {
		var keys []string
		err := DecodeSearch(strings.NewReader(in), testMapping, func(t policy.Ticket) error { keys = append(keys, t.Key); return nil })
		if err != nil || strings.Join(keys, ",") != "ACC-17,ACC-18" {
			t.Errorf("%s: %v %v", name, keys, err)
		}
	}
	if err := DecodeSearch(strings.NewReader(`{"total":0}`), testMapping, nil); err == nil {
		t.Error("no issues array accepted")
	}
}

func TestLooksLikeIssue(t *testing.T) {
	for in, want := range map[string]bool{dcIssue: true, `{"issues":[]}`: false, `[]`: false, `{"key":"A-1","fields":"x"}`: false} {
		if LooksLikeIssue([]byte(in)) != want {
			t.Errorf("%.30s: want %v", in, want)
		}
	}
}

// export builds a search response with n issues.
func export(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"startAt":0,"maxResults":` + fmt.Sprint(n) + `,"total":` + fmt.Sprint(n) + `,"issues":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strings.Replace(dcIssue, `"ACC-17"`, fmt.Sprintf(`"ACC-%d"`, i+1), 1))
	}
	b.WriteString("]}")
	return b.Bytes()
}

func BenchmarkDecodeSearch10k(b *testing.B) {
	data := export(10000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if err := DecodeSearch(bytes.NewReader(data), testMapping, func(policy.Ticket) error { n++; return nil }); err != nil || n != 10000 {
			b.Fatal(err, n)
		}
	}
}

func BenchmarkFetchNormalize(b *testing.B) {
	f := newFake(b, false)
	s := newSource(b, f)
	key := request(b, f, map[string]any{"customfield_10053": map[string]string{"name": "bob"}})
	for range 5 {
		_, _ = f.AddComment("bob", key, "looks fine")
	}
	c := ctx(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Fetch(c, key); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzDecodeIssue(f *testing.F) {
	f.Add([]byte(dcIssue))
	f.Add([]byte(cloudIssue))
	f.Add([]byte(`{"key":"A-1","fields":{"customfield_10050":[[{"value":1}]]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tk, err := DecodeIssue(data, testMapping)
		if err == nil && tk.Key == "" {
			t.Fatal("ticket without key")
		}
		_ = LooksLikeIssue(data)
	})
}

func FuzzDecodeSearch(f *testing.F) {
	f.Add(export(2))
	f.Add([]byte(`[` + cloudIssue + `]`))
	f.Add([]byte(`{"issues":[{"key":"A-1","fields":{}}],"x":[1,{"y":[]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = DecodeSearch(bytes.NewReader(data), testMapping, func(tk policy.Ticket) error {
			if tk.Key == "" {
				t.Fatal("ticket without key")
			}
			return nil
		})
	})
}

func FuzzParseWebhook(f *testing.F) {
	f.Add([]byte(`{"timestamp":1714557330123,"webhookEvent":"jira:issue_updated","user":{"accountId":"x"},"issue":{"key":"ACC-1","fields":{"project":{"key":"ACC"}}},"changelog":{"items":[{"field":"status","fromString":"Open","toString":"Done"}]}}`))
	f.Add([]byte(`{"webhookEvent":"comment_created","comment":{"body":{"type":"doc"},"author":{}},"issue":{"key":"ACC-1","fields":{}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, err := ParseWebhook(data, "", testMapping, Watch{})
		if err == nil && (len(evs) != 1 || evs[0].Key == "" || evs[0].DeliveryID == "") {
			t.Fatalf("events %+v", evs)
		}
		_ = json.Valid(data)
	})
}
