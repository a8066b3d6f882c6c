package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/accessbridge/accessbridge/bridge/audit"
)

const commentPosts = "POST /rest/api/2/issue/{key}/comment"

// TestCrashSafety kills `bridge serve` (SIGKILL) while it works through
// 2,000 tickets and restarts it on the same data directory: every ticket
// ends with exactly one recorded verdict and every identity ticket with
// exactly one evidence comment, and the audit chain verifies.
func TestCrashSafety(t *testing.T) {
	const tickets = 2000
	f := newFake(t)
	dataDir := t.TempDir()
	env := baseEnv(f, dataDir)
	env["BRIDGE_POLL_INTERVAL"] = "2s" // catches what a lost webhook missed
	b := startBridge(t, "bridge", "", env)
	dumpLogsOnFailure(t, b)
	r := newRelay(t, b.addr)
	f.SetWebhook(r.url(), webhookSecret)
	f.SetWebhookRetries(50, 100*time.Millisecond)
	st := openStore(t, dataDir, "")

	start := time.Now()
	identity := map[string]bool{}
	for i := range tickets {
		fields := map[string]any{"project": project, "issuetype": "Task", "summary": fmt.Sprintf("Printer on floor %d is jammed", i)}
		if i%2 == 0 {
			fields = map[string]any{"project": project, "issuetype": "Access Request", "summary": fmt.Sprintf("Need viewer access to datadog for dashboard %d", i)}
		}
		key, err := f.CreateIssue(requester, fields)
		if err != nil {
			t.Fatal(err)
		}
		identity[key] = i%2 == 0
	}
	created := time.Since(start)

	waitFor(t, 60*time.Second, "the bridge to be mid-way", func() bool { return f.Calls()[commentPosts] >= tickets/10 })
	b.kill()
	killedAt := time.Since(start)
	before := f.Calls()[commentPosts]
	waitFor(t, 20*time.Second, "a webhook refused while the bridge is down", func() bool { return r.status(502) > 0 })
	b.restart()
	for _, line := range strings.Split(b.logs(), "\n") {
		if strings.Contains(line, "requeued jobs a previous process left running") {
			t.Logf("after the restart: %s", line)
		}
	}
	restarted := time.Since(start)

	waitFor(t, 120*time.Second, "every ticket decided and commented", func() bool {
		return countRows(t, st.ReadDB(), `SELECT COUNT(*) FROM tickets`) == tickets && f.Calls()[commentPosts] >= tickets/2
	})
	settle(t, 60*time.Second, f, r, st)
	settled := time.Since(start)
	t.Logf("%d tickets: created in %s, killed at %s (%d comments posted), restarted at %s, settled at %s; %d deliveries relayed, %d answered 502 while down",
		tickets, created.Round(time.Millisecond), killedAt.Round(time.Millisecond), before, restarted.Round(time.Millisecond),
		settled.Round(time.Millisecond), r.received.Load(), r.status(502))

	checkOnceEach(t, f, st, identity)
	rep, err := audit.Verify(context.Background(), st, nil)
	if err != nil {
		t.Errorf("audit.Verify: %v", err)
	}
	var evals int
	if err := st.ReadDB().QueryRow(`SELECT COALESCE(SUM(evaluations), 0) FROM tickets`).Scan(&evals); err != nil {
		t.Fatal(err)
	}
	t.Logf("audit chain: %d records %v, head %s; %.2f evaluations per ticket", rep.Records, auditKinds(t, st), rep.Head[:12], float64(evals)/tickets)
}
