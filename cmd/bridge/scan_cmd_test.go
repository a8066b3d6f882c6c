package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/accessbridge/accessbridge/bridge/scan"
)

func scanCmd(t *testing.T, extra ...string) (int, string, string) {
	t.Helper()
	args := []string{"scan", "--policy", "testdata/policy.yaml", "--directory", "testdata/people.csv", "--now", "2026-06-01T00:00:00Z"}
	return runCLI(t, append(args, extra...)...)
}

func TestScanText(t *testing.T) {
	code, stdout, stderr := scanCmd(t, "testdata/export.json")
	wantOutput(t, code, 0, stdout+stderr,
		"  export  testdata/export.json\n",
		"  tickets scanned            8\n",
		"Violations: 6 on 4 tickets\n",
		"T-2  Done  pending  was completed (\"Done\") while still waiting on manager (mgr@example.com) 0/1",
		"T-4  Done  denied  was completed (\"Done\") although denied: the requester is not active",
		"T-3  Approved  allowed  ann@example.com approved their own request (jira_comment)",
		"T-4  Done  denied  requester left@example.com is a leaver (left 2026-01-31)",
		"T-5  Done  pending  ops@example.com approved (jira_comment) but rule standard accepts only manager",
		"Open identity tickets waiting on approvals: 1\n    T-6  Open  access_grant/medium  60d  waiting on manager (mgr@example.com) 0/1\n",
	)
}

func TestScanJSON(t *testing.T) {
	code, stdout, stderr := scanCmd(t, "testdata/export.json", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r scan.Report
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range r.Violations {
		got = append(got, string(v.Kind)+":"+v.Key)
	}
	wantV := []string{"unapproved_change:T-2", "unapproved_change:T-5", "denied_completed:T-4", "self_approval:T-3", "ineligible_requester:T-4", "unentitled_approver:T-5"}
	if !slices.Equal(got, wantV) {
		t.Errorf("violations = %v, want %v", got, wantV)
	}
	if r.Schema != scan.Schema || r.Source != "testdata/export.json" || r.Totals.Declined != 1 || r.Totals.NotIdentity != 1 {
		t.Errorf("report = %+v", r)
	}
}

func TestScanCSVToFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.csv")
	code, stdout, stderr := scanCmd(t, "--format", "csv", "--out", out, "testdata/export.json")
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 9 || !slices.Equal(recs[0], scan.CSVHeader) {
		t.Fatalf("got %d rows: %v", len(recs), recs)
	}
	if got := strings.Join(recs[5], ","); got != "T-5,Done,access_grant,medium,pending,standard,manager,unapproved_change;unentitled_approver" {
		t.Errorf("T-5 row = %s", got)
	}
	if got := strings.Join(recs[8], ","); got != "T-8,Done,access_grant,medium,pending,standard,manager," {
		t.Errorf("T-8 (won't do) row = %s", got)
	}
}

func TestScanExitCodesAndErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"fail on violations", []string{"--fail-on-violations", "testdata/export.json"}, 3, "6 violation(s) on 4 ticket(s)"},
		{"bridge tickets input", []string{"--fail-on-violations", "--format", "csv", "testdata/tickets.json"}, 3, "1 violation(s)"},
		{"malformed export: file:line:col", []string{"testdata/export-bad.json"}, 1, "testdata/export-bad.json:3:3: jira search: issue 1 (T-2)"},
		{"syntax error in export", []string{"testdata/bad.json", "--input", "tickets"}, 1, "testdata/bad.json:"},
		{"missing export", []string{"testdata/none.json"}, 1, "testdata/none.json"},
		{"bad format", []string{"--format", "xml", "testdata/export.json"}, 2, `--format "xml"`},
		{"broken policy", []string{"--policy", "testdata/broken.yaml", "testdata/export.json"}, 1, "testdata/broken.yaml:10:13:"},
		{"no export", nil, 2, "want exactly one export file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := scanCmd(t, tt.args...)
			wantOutput(t, code, tt.code, stderr, tt.stderr)
		})
	}
}

func TestScanOutNotWrittenOnError(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.txt")
	code, _, _ := scanCmd(t, "--out", out, "testdata/export-bad.json")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("report file exists after a failed scan: %v", err)
	}
}

// TestScanExamples runs the project's demo command over the examples.
func TestScanExamples(t *testing.T) {
	files := []string{"../../examples/policy.yaml", "../../examples/people.csv", "../../examples/jira-export.json"}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Skipf("example %s missing", f)
		}
	}
	code, stdout, stderr := runCLI(t, "scan", "--policy", files[0], "--directory", files[1], files[2])
	wantOutput(t, code, 0, stdout+stderr, "accessbridge governance report", "Violations: ", "Open identity tickets waiting on approvals: ")
	if stderr != "" {
		t.Errorf("stderr = %s", stderr)
	}
}
