package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/accessbridge/accessbridge/adapters/jira/jirafake"
	"github.com/accessbridge/accessbridge/bridge/audit"
	"github.com/accessbridge/accessbridge/bridge/store"
	"github.com/accessbridge/accessbridge/bridge/store/storetest"
)

// TestReplicas runs three `bridge serve` processes on one PostgreSQL
// schema behind a round-robin relay and kills the leader midway: no event
// is lost, no action repeated, the audit log stays one verifiable chain,
// and polling carries on in a surviving process.
func TestReplicas(t *testing.T) {
	dbURL := postgresSchema(t)
	const tickets = 300
	f := newFake(t)
	procs := make([]*bridgeProc, 3)
	addrs := make([]string, 3)
	for i := range procs {
		env := baseEnv(f, t.TempDir())
		env["BRIDGE_DATABASE_URL"] = dbURL
		env["BRIDGE_POLL_INTERVAL"] = "1s"
		env["BRIDGE_JOB_TIMEOUT"] = "5s"
		env["BRIDGE_RESCUE_AFTER"] = "6s"
		procs[i] = startBridge(t, fmt.Sprintf("replica-%d", i), "", env)
		addrs[i] = procs[i].addr
	}
	dumpLogsOnFailure(t, procs...)
	st := openStore(t, "", dbURL)
	r := newRelay(t, addrs...)
	f.SetWebhook(r.url(), webhookSecret)
	f.SetWebhookRetries(50, 100*time.Millisecond)

	var leaderBefore string
	waitFor(t, 30*time.Second, "a River leader", func() bool { leaderBefore = riverLeader(st); return leaderBefore != "" })
	leader := leaderProc(t, leaderBefore, procs)

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
	waitFor(t, 60*time.Second, "the replicas to be mid-way", func() bool { return f.Calls()[commentPosts] >= tickets/10 })
	leader.kill() // stays behind the relay, as behind a load balancer before its health check notices
	killedAt := time.Since(start)

	waitFor(t, 120*time.Second, "every ticket decided and commented", func() bool {
		return countRows(t, st.ReadDB(), `SELECT COUNT(*) FROM tickets`) == tickets && f.Calls()[commentPosts] >= tickets/2
	})
	settle(t, 90*time.Second, f, r, st)
	t.Logf("%d tickets over 3 replicas: leader %s killed at %s, settled at %s; %d deliveries relayed, %d answered 502",
		tickets, leader.name, killedAt.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), r.received.Load(), r.status(502))
	checkOnceEach(t, f, st, identity)

	// Webhooks off: only polling can notice these, and the poller must now
	// run under a new leader.
	f.SetWebhook("", "")
	var late []string
	for i := range 3 {
		late = append(late, mustCreate(t, f, fmt.Sprintf("Need viewer access to datadog, late request %d", i)))
	}
	for _, k := range late {
		waitFor(t, 60*time.Second, k+" noticed by polling", func() bool { return len(evidenceComments(f, k)) == 1 })
	}
	if now := riverLeader(st); now == leaderBefore {
		t.Errorf("the leader is still %s after it was killed", now)
	} else {
		t.Logf("leader %s → %s", leaderBefore, now)
	}
	rep, err := audit.Verify(context.Background(), st, nil)
	if err != nil {
		t.Errorf("audit.Verify: %v", err)
	}
	t.Logf("audit chain: %d records %v", rep.Records, auditKinds(t, st))
}

// checkOnceEach asserts one verdict record per ticket and one evidence
// comment per identity ticket, and no duplicate comment anywhere.
func checkOnceEach(t *testing.T, f *jirafake.Fake, st *store.Store, identity map[string]bool) {
	t.Helper()
	verdicts := auditCounts(t, st, "verdict")
	bad := 0
	for key, id := range identity {
		want := 0
		if id {
			want = 1
		}
		if n, c := verdicts[key], len(evidenceComments(f, key)); n != 1 || c != want {
			bad++
			if bad <= 5 {
				t.Errorf("%s: %d verdict records (want 1), %d evidence comments (want %d)", key, n, c, want)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d tickets recorded or commented other than once", bad, len(identity))
	}
	if n := duplicates(f); n != 0 {
		t.Errorf("DuplicateComments total %d", n)
	}
}

func mustCreate(t *testing.T, f *jirafake.Fake, summary string) string {
	t.Helper()
	key, err := f.CreateIssue(requester, map[string]any{"project": project, "issuetype": "Access Request", "summary": summary})
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// postgresSchema returns a URL whose search_path is a fresh schema,
// dropped at cleanup; the test is skipped without PostgreSQL.
func postgresSchema(t *testing.T) string {
	t.Helper()
	base := os.Getenv(storetest.EnvPostgresURL)
	if base == "" {
		t.Skip("replica tests need PostgreSQL: set " + storetest.EnvPostgresURL + " (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	schema := fmt.Sprintf("bridge_e2e_%d", time.Now().UnixNano())
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(`CREATE SCHEMA "` + schema + `"`); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA IF EXISTS "` + schema + `" CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func riverLeader(st *store.Store) string {
	var id string
	_ = st.ReadDB().QueryRow(`SELECT leader_id FROM river_leader`).Scan(&id)
	return id
}

// leaderProc maps River's client id (host + start time) to the process
// started last before that time.
func leaderProc(t *testing.T, id string, procs []*bridgeProc) *bridgeProc {
	t.Helper()
	i := strings.LastIndexByte(id, '_')
	stamp := id[:i] + "." + id[i+1:]
	const layout = "2006_01_02T15_04_05.000000"
	if len(stamp) < len(layout) {
		t.Fatalf("unexpected River client id %q", id)
	}
	at, err := time.ParseInLocation(layout, stamp[len(stamp)-len(layout):], time.Local)
	if err != nil {
		t.Fatalf("River client id %q: %v", id, err)
	}
	var best *bridgeProc
	for _, p := range procs {
		if !p.spawned.After(at) && (best == nil || p.spawned.After(best.spawned)) {
			best = p
		}
	}
	if best == nil {
		t.Fatalf("no process started before the leader's start %s", at)
	}
	return best
}
