package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseErrorsHavePositions(t *testing.T) {
	src := `version: 1
mode: strict
resources:
  - name: db
    roles: [read]
    max_duration: forever
classify:
  - name: a
    when: ticket.sumary.contains('x')
    category: access_grant
    impact: huge
  - name: a
    when: "ticket.text + 1"
    category: nope
    colour: red
eligibility:
  - name: e
    require: requester.active &&
approvals:
  - name: r
    if: requester.groups
    require:
      - from: [manager, group:]
        count: two
      - from: owner:nosuch
  - name: r
    require:
      - from: team:x
    approval_valid_for: 3 fortnights
`
	_, err := Parse("p.yaml", []byte(src))
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("err = %v, want ErrorList", err)
	}
	want := []string{
		`p.yaml:2:7: mode: unknown mode "strict"`,
		`p.yaml:6:19: max_duration: bad duration "forever"`,
		`p.yaml:9:11: when: undefined field 'sumary'`,
		`p.yaml:11:13: impact: unknown impact "huge"`,
		`p.yaml:12:5: classify rule: duplicate name "a"`,
		`p.yaml:13:11: when: found no matching overload for '_+_'`,
		`p.yaml:14:15: category: unknown category "nope"`,
		`p.yaml:15:5: classify rule: unknown key "colour"`,
		`p.yaml:18:14: require: Syntax error`,
		`p.yaml:21:9: if: expression must be a bool`,
		`p.yaml:23:15: from: unknown approver source "group:"`,
		`p.yaml:24:16: count: want an integer, got str "two"`,
		`p.yaml:25:15: owner:nosuch: no resource "nosuch" in the resources catalog`,
		`p.yaml:26:5: approval rule: duplicate name "r"`,
		`p.yaml:28:15: from: unknown approver source "team:x"`,
		`p.yaml:29:25: approval_valid_for: bad duration "3 fortnights"`,
	}
	if len(list) != len(want) {
		t.Errorf("got %d errors, want %d:\n%v", len(list), len(want), err)
	}
	for i, w := range want {
		if i >= len(list) || !strings.HasPrefix(list[i].Error(), w) {
			got := "(none)"
			if i < len(list) {
				got = list[i].Error()
			}
			t.Errorf("error %d = %q, want prefix %q", i, got, w)
		}
	}
}

func TestParseYAMLSyntaxError(t *testing.T) {
	_, err := Parse("bad.yaml", []byte("version: 1\nclassify:\n  - name: [unclosed\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "bad.yaml:") || !strings.Contains(err.Error(), "invalid YAML") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Parse("empty.yaml", nil); err == nil || err.Error() != "empty.yaml:1:1: empty policy file" {
		t.Fatalf("empty: err = %v", err)
	}
	if _, err := Parse("v.yaml", []byte("mode: enforce\n")); err == nil || err.Error() != "v.yaml:1:1: version is required (version: 1)" {
		t.Fatalf("missing version: err = %v", err)
	}
}

func TestLoadMergesFilesAndTests(t *testing.T) {
	d := t.TempDir()
	write := func(name, body string) string {
		t.Helper()
		path := filepath.Join(d, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	write("a.yaml", "version: 1\nmode: dry-run\nresources: [{name: vpn, roles: [user]}]\nclassify:\n  - {name: vpn, when: \"ticket.text.contains('vpn')\", category: access_grant, impact: low}\n")
	write("b.yaml", "version: 1\napprovals:\n  - {name: grant, if: \"classification.category == 'access_grant'\", require: [{from: owner:vpn}]}\n")
	write("a_test.yaml", `people: [{email: alice@example.com}]
tests:
  - name: vpn needs nobody listed
    ticket: {summary: "vpn pls", requester: alice@example.com}
    expect: {verdict: pending, resource: vpn, missing: [owner:vpn]}
`)
	p, err := Load(d)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if p.Mode() != ModeDryRun || len(p.Tests()) != 1 || len(p.Files()) != 3 {
		t.Fatalf("mode %q, %d tests, files %v", p.Mode(), len(p.Tests()), p.Files())
	}
	for _, r := range RunTests(p) {
		if !r.Passed {
			t.Errorf("%s: %v", r.Name, r.Diff)
		}
	}
	// Test files do not change the digest; policy files do.
	q, err := Load(filepath.Join(d, "a.yaml"), filepath.Join(d, "b.yaml"))
	if err != nil || q.Digest() != p.Digest() {
		t.Fatalf("digest without tests %v, err %v; want %s", q.Digest(), err, p.Digest())
	}
	write("b.yaml", "version: 1\napprovals:\n  - {name: grant, if: \"classification.category == 'access_grant'\"}\n")
	if r, _ := Load(d); r == nil || r.Digest() == p.Digest() {
		t.Fatal("editing a policy file must change the digest")
	}
	// A bad file anywhere means no policy at all.
	write("c.yaml", "version: 1\nmode: enforce\n")
	if p, err := Load(d); p != nil || err == nil || !strings.Contains(err.Error(), `c.yaml:2:7: mode: "enforce" conflicts with "dry-run"`) {
		t.Fatalf("conflicting mode: p=%v err=%v", p, err)
	}
}

func TestRunTestsReportsDiff(t *testing.T) {
	p := mustParse(t, `version: 1
classify:
  - {name: vpn, when: "ticket.text.contains('vpn')", category: access_grant, impact: low}
approvals:
  - {name: grant, require: [{from: manager}]}
tests:
  - name: wrong expectation
    people: [{email: a@example.com, manager: m@example.com}]
    ticket: {summary: vpn, requester: a@example.com}
    approvals: [{by: m@example.com, at: -1h}]
    expect: {verdict: pending, impact: high, grant_until: +1h}
`)
	res := RunTests(p)
	if len(res) != 1 || res[0].Passed || res[0].Line != 7 {
		t.Fatalf("results = %+v", res)
	}
	got := strings.Join(res[0].Diff, "\n")
	for _, want := range []string{`verdict: want "pending", got "allowed"`, `impact: want "high", got "low"`, "grant_until: want 2026-01-15T11:00:00Z, got none"} {
		if !strings.Contains(got, want) {
			t.Errorf("diff %q lacks %q", got, want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"8h", 8 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"1h30m", 90 * time.Minute, true},
		{"7d", 7 * day, true},
		{"2w", 14 * day, true},
		{"3 days", 3 * day, true},
		{"1 week", 7 * day, true},
		{"12 hours", 12 * time.Hour, true},
		{"a day", day, true},
		{"1d 12h", 36 * time.Hour, true},
		{"1.5 days", 36 * time.Hour, true},
		{" 2 Weeks ", 14 * day, true},
		{"", 0, false},
		{"forever", 0, false},
		{"-3h", 0, false},
		{"3 fortnights", 0, false},
		{"999999999 weeks", 0, false},
		{"5", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseDuration(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
