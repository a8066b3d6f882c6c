package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run calls realMain and returns its exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := realMain(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// want checks the exit code and that each text appears in out.
func wantOutput(t *testing.T, code, wantCode int, out string, texts ...string) {
	t.Helper()
	if code != wantCode {
		t.Errorf("exit code %d, want %d; output:\n%s", code, wantCode, out)
	}
	for _, s := range texts {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
}

func TestPolicyCheck(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   []string
		stderr   []string
		noStdout bool
	}{
		{name: "ok", args: []string{"testdata/policy.yaml"}, stdout: []string{"ok: 2 rules, 1 resources, 2 tests, mode enforce, digest sha256:"}},
		{
			name: "broken: every positioned error", args: []string{"testdata/broken.yaml"}, code: 1, noStdout: true,
			stderr: []string{"testdata/broken.yaml:4:11: when: Syntax error", "testdata/broken.yaml:10:13: impact: unknown impact \"enormous\"", "2 error(s) in policy"},
		},
		{name: "missing file", args: []string{"testdata/nope.yaml"}, code: 1, stderr: []string{"testdata/nope.yaml: cannot read"}},
		{name: "no files", args: nil, code: 2, stderr: []string{"no policy files given"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"policy", "check"}, tt.args...)...)
			wantOutput(t, code, tt.code, stdout+stderr)
			wantOutput(t, code, tt.code, stdout, tt.stdout...)
			wantOutput(t, code, tt.code, stderr, tt.stderr...)
			if tt.noStdout && stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
}

func TestPolicyTest(t *testing.T) {
	t.Run("all pass", func(t *testing.T) {
		code, stdout, _ := runCLI(t, "policy", "test", "testdata/policy.yaml")
		wantOutput(t, code, 0, stdout, "PASS access with manager approval is allowed\n", "PASS admin without security is pending\n", "2 passed, 0 failed\n")
	})
	t.Run("failure with diff and tree", func(t *testing.T) {
		code, stdout, _ := runCLI(t, "policy", "test", "-v", "testdata/policy.yaml", "testdata/failing.yaml")
		wantOutput(t, code, 1, stdout,
			"FAIL testdata/failing.yaml:2 admin with manager only is allowed\n",
			"    verdict: want \"allowed\", got \"pending\"\n",
			"      decision [failed] pending: waiting for group:security\n",
			"2 passed, 1 failed\n")
	})
	t.Run("flags after files, -run filter", func(t *testing.T) {
		code, stdout, _ := runCLI(t, "policy", "test", "testdata/policy.yaml", "-run", "admin")
		wantOutput(t, code, 0, stdout, "1 passed, 0 failed\n")
		if strings.Contains(stdout, "manager approval is allowed") {
			t.Errorf("-run did not filter:\n%s", stdout)
		}
	})
	t.Run("no tests", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, "p.yaml")
		if err := os.WriteFile(p, []byte("version: 1\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runCLI(t, "policy", "test", p)
		wantOutput(t, code, 1, stdout+stderr, "0 passed, 0 failed", "no tests found")
	})
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args    []string
		wantPos string
		wantV   bool
	}{
		{[]string{"a", "-v", "b"}, "a b", true},
		{[]string{"-v", "a"}, "a", true},
		{[]string{"a", "--", "-v"}, "a -v", false},
		{nil, "", false},
	}
	for _, tt := range tests {
		fs := newFlags("x", &bytes.Buffer{})
		v := fs.Bool("v", false, "")
		pos, err := parseArgs(fs, tt.args)
		if err != nil || strings.Join(pos, " ") != tt.wantPos || *v != tt.wantV {
			t.Errorf("parseArgs(%q) = %q, v=%v, %v; want %q, v=%v", tt.args, pos, *v, err, tt.wantPos, tt.wantV)
		}
	}
}
