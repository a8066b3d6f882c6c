package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/accessbridge/accessbridge/policy"
)

func classify(t *testing.T, extra ...string) (int, string, string) {
	t.Helper()
	args := []string{"classify", "--policy", "testdata/policy.yaml", "--directory", "testdata/people.csv", "--now", "2026-05-02T00:00:00Z"}
	return runCLI(t, append(args, extra...)...)
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{
			name: "bridge ticket with approvals file and comments",
			args: []string{"testdata/ticket.json", "--approvals", "testdata/approvals.json"},
			want: []string{
				"ticket          T-1 (bridge ticket JSON)\n",
				"verdict         allowed\n",
				"classification  privileged_access / critical  (matched admin)\n",
				"approved by     mgr@example.com, sec@example.com\n",
				"approval        sec@example.com approve via slack\n",
				"refused         comment by acc-999: the comment's author could not be matched",
				"\nexplanation\n  decision [passed] allowed\n",
				"self-approval is not allowed",
			},
		},
		{
			name: "bridge ticket without the security approval",
			args: []string{"testdata/ticket.json"},
			want: []string{"verdict         pending\n", "missing         group:security 0/1\n"},
		},
		{
			name: "Jira REST issue",
			args: []string{"testdata/issue.json"},
			want: []string{"ticket          T-3 (Jira REST issue)\n", "status          Approved\n", "verdict         allowed\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := classify(t, tt.args...)
			wantOutput(t, code, 0, stdout+stderr, tt.want...)
		})
	}
}

func TestClassifyJSON(t *testing.T) {
	code, stdout, stderr := classify(t, "--json", "testdata/ticket.json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var d policy.Decision
	if err := json.Unmarshal([]byte(stdout), &d); err != nil {
		t.Fatalf("not a Decision: %v\n%s", err, stdout)
	}
	if d.Verdict != policy.Pending || len(d.Missing) != 1 || d.Missing[0].Name != "group:security" || d.Explanation == nil {
		t.Errorf("decision = %+v", d)
	}
}

func TestClassifyErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"syntax error: line:column", []string{"testdata/bad.json"}, 1, "testdata/bad.json:4:34: invalid character ','"},
		{"type error: line:column", []string{"testdata/badtype.json"}, 1, "testdata/badtype.json:3:15: field summary: cannot use number as string"},
		{"unknown field", []string{"testdata/unknown.json"}, 1, `testdata/unknown.json:4:3: unknown field "requestor"`},
		{"missing ticket file", []string{"testdata/none.json"}, 1, "testdata/none.json"},
		{"bad approvals file", []string{"testdata/ticket.json", "--approvals", "testdata/bad.json"}, 1, "testdata/bad.json:"},
		{"approvals not an array", []string{"testdata/ticket.json", "--approvals", "testdata/ticket.json"}, 1, "testdata/ticket.json:1:1: "},
		{"bad --now", []string{"testdata/ticket.json", "--now", "yesterday"}, 2, `--now "yesterday"`},
		{"two tickets", []string{"testdata/ticket.json", "testdata/issue.json"}, 2, "want exactly one ticket file"},
		{"broken policy", []string{"--policy", "testdata/broken.yaml", "testdata/ticket.json"}, 1, "testdata/broken.yaml:4:11:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := classify(t, tt.args...)
			wantOutput(t, code, tt.code, stderr, tt.want)
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
}

func TestLineCol(t *testing.T) {
	data := []byte("ab\ncd\n\nef")
	tests := []struct {
		off       int64
		line, col int
	}{{0, 1, 1}, {1, 1, 1}, {2, 1, 2}, {4, 2, 1}, {5, 2, 2}, {7, 3, 1}, {9, 4, 2}, {99, 4, 2}, {-5, 1, 1}}
	for _, tt := range tests {
		if l, c := lineCol(data, tt.off); l != tt.line || c != tt.col {
			t.Errorf("lineCol(%d) = %d:%d, want %d:%d", tt.off, l, c, tt.line, tt.col)
		}
	}
}

// FuzzDecodeTicket feeds the ticket-file path of classify: detection of a
// Jira issue versus a bridge ticket and both decoders. It must never panic,
// every error must name the file, and a decoded ticket must say its format.
func FuzzDecodeTicket(f *testing.F) {
	for _, name := range []string{"testdata/ticket.json", "testdata/issue.json", "testdata/bad.json", "testdata/badtype.json", "testdata/unknown.json"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"key":"A-1","fields":{"summary":{"x":1},"comment":{"comments":[{"created":"x"}]}}}`))
	f.Add([]byte(`{"key":"A-1","fields":{"description":{"type":"doc","content":[{"type":"text"}]}}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	m, err := jiraMapping("")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tk, format, err := decodeTicket("in.json", data, m)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "in.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if format != formatJiraIssue && format != formatBridgeJSON {
			t.Fatalf("format = %q", format)
		}
		if tk.Key == "" && tk.Summary == "" {
			t.Fatalf("decoded an empty ticket from %q", data)
		}
	})
}
