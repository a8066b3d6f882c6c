package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestPolicyHotReload: a broken policy file is reported with
// file:line:column and never replaces the running policy; the fixed file
// is taken up.
func TestPolicyHotReload(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "policy.yaml")
	writeFile(t, path, good)
	f := newFake(t)
	env := baseEnv(f, t.TempDir())
	env["BRIDGE_POLICY"] = path
	b := startBridge(t, "bridge", "", env)
	dumpLogsOnFailure(t, b)
	first := readyDigest(t, b)

	broken := strings.Replace(string(good), "impact: low", "impact: lowest", 1)
	writeFile(t, path, []byte(broken))
	var failure string
	waitFor(t, 20*time.Second, "the reload failure in the log", func() bool {
		for _, line := range strings.Split(b.logs(), "\n") {
			if strings.Contains(line, "policy reload failed") {
				failure = line
				return true
			}
		}
		return false
	})
	t.Logf("log: %s", failure)
	pos := regexp.MustCompile(regexp.QuoteMeta(path) + `:9:13: impact: unknown impact \\"lowest\\"`)
	if !pos.MatchString(failure) {
		t.Errorf("the failure does not name file:line:column of the error:\n%s", failure)
	}
	if d := readyDigest(t, b); d != first {
		t.Errorf("/readyz digest changed to %s after a broken reload; want %s", d, first)
	}

	fixed := strings.Replace(string(good), `jira: ["Approved"]`, `jira: ["Approved", "Done"]`, 1)
	writeFile(t, path, []byte(fixed))
	var second string
	waitFor(t, 20*time.Second, "the new digest on /readyz", func() bool {
		second = readyDigest(t, b)
		return second != first
	})
	if !strings.Contains(b.logs(), `"msg":"policy reloaded","digest":"`+second+`"`) {
		t.Errorf("no 'policy reloaded' log line with digest %s", second)
	}
	t.Logf("digest %s → %s", first, second)
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	// Write beside and rename, as editors and config managers do, so the
	// watcher never reads half a file.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func readyDigest(t *testing.T, b *bridgeProc) string {
	t.Helper()
	resp, err := http.Get(b.url("/readyz"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Ready  string `json:"ready"`
		Policy string `json:"policy"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK || out.Policy == "" {
		t.Fatalf("/readyz: %d %+v %v", resp.StatusCode, out, err)
	}
	return out.Policy
}
