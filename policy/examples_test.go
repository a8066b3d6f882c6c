package policy

import (
	"strings"
	"testing"
)

// TestExamplePolicy runs the example policy's own tests: the policy file and
// its test file must load cleanly and every case must pass.
func TestExamplePolicy(t *testing.T) {
	p, err := Load("../examples/policy.yaml", "../examples/policy_test.yaml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	results := RunTests(p)
	if len(results) < 30 {
		t.Errorf("example policy has %d tests, want at least 30", len(results))
	}
	for _, r := range results {
		if !r.Passed {
			var b strings.Builder
			r.Decision.Explanation.Format(&b)
			t.Errorf("%s:%d: %s:\n  %s\n%s", r.File, r.Line, r.Name, strings.Join(r.Diff, "\n  "), b.String())
		}
	}
}
