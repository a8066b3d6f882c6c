// Package e2e runs the real bridge binary as subprocesses against the
// stateful Jira fake and real databases (SQLite files, PostgreSQL schemas).
// Everything listens on loopback only.
package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/accessbridge/accessbridge/adapters/jira/jirafake"
	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/store"
)

const (
	gateToken     = "e2e-gate-token"
	webhookSecret = "e2e-webhook-secret"
	project       = "ACC"
)

var (
	bridgeBin string // built once by TestMain
	repoRoot  string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	root, err := filepath.Abs("..")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	repoRoot = root
	dir, err := os.MkdirTemp("", "bridge-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bridgeBin = filepath.Join(dir, "bridge")
	build := exec.Command("go", "build", "-o", bridgeBin, "./cmd/bridge")
	build.Dir = root
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building the bridge failed:", err)
		return 1
	}
	return m.Run()
}

// examplePath is a file under examples/.
func examplePath(name string) string { return filepath.Join(repoRoot, "examples", name) }

// ---- the Jira fake ----------------------------------------------------------

// newFake starts a Data Center Jira fake whose users are the people of
// examples/people.csv (username = the email's local part).
func newFake(t *testing.T, opts ...jirafake.Option) *jirafake.Fake {
	t.Helper()
	opts = append([]jirafake.Option{jirafake.WithUsers(directoryUsers(t)...), jirafake.WithProjects(project, "OTHER")}, opts...)
	f := jirafake.New(opts...)
	t.Cleanup(f.Close)
	return f
}

func directoryUsers(t *testing.T) []jirafake.User {
	t.Helper()
	fh, err := os.Open(examplePath("people.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	rows, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var us []jirafake.User
	for _, r := range rows[1:] {
		if r[3] == "service_account" {
			continue
		}
		name, _, _ := strings.Cut(r[0], "@")
		us = append(us, jirafake.User{Name: name, Email: r[0], DisplayName: r[1], Token: "token-" + name})
	}
	return us
}

// ---- bridge processes -------------------------------------------------------

// bridgeProc is one running `bridge serve`.
type bridgeProc struct {
	t       *testing.T
	name    string
	addr    string
	env     []string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
	exitErr error
	spawned time.Time // when the current process was started
}

// baseEnv configures a bridge for fake f, storing in dataDir (or dbURL).
func baseEnv(f *jirafake.Fake, dataDir string) map[string]string {
	return map[string]string{
		"BRIDGE_DATA_DIR":             dataDir,
		"BRIDGE_POLICY":               examplePath("policy.yaml"),
		"BRIDGE_DIRECTORY":            examplePath("people.csv"),
		"BRIDGE_GATE_TOKEN":           gateToken,
		"BRIDGE_PUBLIC_URL":           "http://bridge.e2e.test",
		"BRIDGE_EVIDENCE_KEY":         "e2e-evidence-key",
		"BRIDGE_POLL_INTERVAL":        "0",
		"BRIDGE_RECONCILE_INTERVAL":   "0",
		"BRIDGE_RELOAD_INTERVAL":      "200ms",
		"BRIDGE_WORKERS":              "8",
		"BRIDGE_SHUTDOWN_GRACE":       "5s",
		"BRIDGE_JIRA_URL":             f.URL(),
		"BRIDGE_JIRA_DEPLOYMENT":      "datacenter",
		"BRIDGE_JIRA_PAT":             jirafake.BotToken,
		"BRIDGE_JIRA_WEBHOOK_SECRET":  webhookSecret,
		"BRIDGE_JIRA_PROJECTS":        project,
		"BRIDGE_JIRA_BOT_ACCOUNT":     jirafake.BotName,
		"BRIDGE_JIRA_RETRY_WAIT_MIN":  "20ms",
		"BRIDGE_JIRA_RETRY_WAIT_MAX":  "300ms",
		"BRIDGE_JIRA_MAX_RETRY_AFTER": "2s",
		"BRIDGE_JIRA_POLL_OVERLAP":    "1m",
		"BRIDGE_JIRA_POLL_LOOKBACK":   "1h",
	}
}

// freeAddr reserves a loopback port and releases it for the child.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startBridge runs `bridge serve` with env on addr (a fresh port when
// empty) and waits until /readyz answers 200.
func startBridge(t *testing.T, name, addr string, env map[string]string) *bridgeProc {
	t.Helper()
	if addr == "" {
		addr = freeAddr(t)
	}
	b := &bridgeProc{t: t, name: name, addr: addr, done: make(chan struct{}),
		logPath: filepath.Join(t.TempDir(), name+".log")}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BRIDGE_") {
			b.env = append(b.env, kv)
		}
	}
	for k, v := range env {
		b.env = append(b.env, k+"="+v)
	}
	b.env = append(b.env, "BRIDGE_ADDR="+addr)
	b.start()
	t.Cleanup(func() { b.kill() })
	b.waitReady()
	return b
}

func (b *bridgeProc) start() {
	b.t.Helper()
	logf, err := os.OpenFile(b.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		b.t.Fatal(err)
	}
	cmd := exec.Command(bridgeBin, "serve")
	cmd.Env = b.env
	cmd.Dir = b.t.TempDir()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		b.t.Fatal(err)
	}
	b.cmd, b.done, b.spawned = cmd, make(chan struct{}), time.Now()
	done := b.done
	go func() {
		b.exitErr = cmd.Wait()
		logf.Close()
		close(done)
	}()
}

// restart starts the same configuration again on the same address.
func (b *bridgeProc) restart() {
	b.t.Helper()
	b.start()
	b.waitReady()
}

func (b *bridgeProc) url(path string) string { return "http://" + b.addr + path }

func (b *bridgeProc) waitReady() {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-b.done:
			b.t.Fatalf("bridge %s exited before ready: %v\n%s", b.name, b.exitErr, b.logTail(40))
		default:
		}
		resp, err := http.Get(b.url("/readyz"))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("bridge %s not ready in 30s\n%s", b.name, b.logTail(40))
}

// kill ends the process at once (SIGKILL), as a crash would.
func (b *bridgeProc) kill() {
	if b.cmd == nil || b.cmd.Process == nil {
		return
	}
	select {
	case <-b.done:
		return
	default:
	}
	_ = b.cmd.Process.Signal(syscall.SIGKILL)
	<-b.done
}

// stop asks for a graceful shutdown (SIGTERM) and waits for it.
func (b *bridgeProc) stop() {
	b.t.Helper()
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.done:
	case <-time.After(20 * time.Second):
		b.t.Errorf("bridge %s did not stop on SIGTERM within 20s", b.name)
		b.kill()
	}
}

func (b *bridgeProc) logs() string {
	data, _ := os.ReadFile(b.logPath)
	return string(data)
}

func (b *bridgeProc) logTail(n int) string {
	lines := strings.Split(strings.TrimRight(b.logs(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// dumpLogsOnFailure prints each process's log tail when t fails.
func dumpLogsOnFailure(t *testing.T, procs ...*bridgeProc) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, p := range procs {
			t.Logf("---- log tail of %s ----\n%s", p.name, p.logTail(60))
		}
	})
}

// metric sums the samples of a Prometheus counter whose line starts with
// prefix (name plus optional label filter).
func (b *bridgeProc) metric(prefix string) float64 {
	resp, err := http.Get(b.url("/metrics"))
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var sum float64
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		var v float64
		if i := strings.LastIndexByte(line, ' '); i > 0 {
			fmt.Sscan(line[i+1:], &v)
		}
		sum += v
	}
	return sum
}

// gate asks /v1/gate and returns the decoded answer.
func (b *bridgeProc) gate(t *testing.T, key, to string) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"source": "jira", "key": key, "to_status": to})
	req, _ := http.NewRequest(http.MethodPost, b.url("/v1/gate"), bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+gateToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("gate answer: %v", err)
	}
	return out
}

// postWebhook sends body to the bridge's Jira webhook with sig and returns
// the status.
func (b *bridgeProc) postWebhook(t *testing.T, body []byte, sig string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.url("/webhooks/jira"), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set("X-Hub-Signature", sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// ---- webhook relay ----------------------------------------------------------

// relay sits between the fake's webhook sender and the bridges: it spreads
// deliveries round-robin over the live backends and answers 502 when none
// is up, so the fake redelivers as it would to a load balancer.
type relay struct {
	mu       sync.Mutex
	backends []string
	next     int
	received atomic.Int64
	inflight atomic.Int64
	statuses sync.Map // int → *atomic.Int64
	srv      *http.Server
	addr     string
}

func newRelay(t *testing.T, backends ...string) *relay {
	t.Helper()
	r := &relay{backends: backends}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			target, _ := url.Parse("http://" + pr.In.Context().Value(backendKey{}).(string))
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
			r.count(http.StatusBadGateway)
			w.WriteHeader(http.StatusBadGateway)
		},
		ModifyResponse: func(resp *http.Response) error {
			r.count(resp.StatusCode)
			return nil
		},
	}
	r.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.received.Add(1)
		r.inflight.Add(1)
		defer r.inflight.Add(-1)
		be := r.pick()
		if be == "" {
			r.count(http.StatusBadGateway)
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		proxy.ServeHTTP(w, req.WithContext(context.WithValue(req.Context(), backendKey{}, be)))
	})}
	go r.srv.Serve(ln)
	t.Cleanup(func() { r.srv.Close() })
	return r
}

type backendKey struct{}

func (r *relay) url() string { return "http://" + r.addr + "/webhooks/jira" }

func (r *relay) pick() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.backends) == 0 {
		return ""
	}
	be := r.backends[r.next%len(r.backends)]
	r.next++
	return be
}

// setBackends replaces the live backends.
func (r *relay) setBackends(bs ...string) {
	r.mu.Lock()
	r.backends = bs
	r.mu.Unlock()
}

func (r *relay) count(status int) {
	v, _ := r.statuses.LoadOrStore(status, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

func (r *relay) status(code int) int64 {
	if v, ok := r.statuses.Load(code); ok {
		return v.(*atomic.Int64).Load()
	}
	return 0
}

// ---- waiting ---------------------------------------------------------------

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// settle waits until the bridge has nothing left to do: no evaluate or
// apply job waiting or running, no webhook in flight through the relay,
// and no new non-search call reached the fake, across two looks.
func settle(t *testing.T, within time.Duration, f *jirafake.Fake, r *relay, st *store.Store) {
	t.Helper()
	type snap struct {
		calls, relayed int64
		jobs           int
	}
	look := func() snap {
		s := snap{jobs: activeJobs(t, st) + pendingAudit(t, st)}
		for route, n := range f.Calls() {
			if !strings.Contains(route, "/search") {
				s.calls += int64(n)
			}
		}
		if r != nil {
			s.relayed = r.received.Load()
			if r.inflight.Load() > 0 {
				s.jobs++
			}
		}
		return s
	}
	deadline := time.Now().Add(within)
	prev := look()
	quiet := 0
	for quiet < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("bridge did not settle within %s (last look: %+v; jobs %s)", within, prev, jobBreakdown(st))
		}
		time.Sleep(150 * time.Millisecond)
		cur := look()
		if cur == prev && cur.jobs == 0 {
			quiet++
		} else {
			quiet = 0
		}
		prev = cur
	}
}

// pendingAudit counts audit records queued but not yet chained.
func pendingAudit(t *testing.T, st *store.Store) int {
	t.Helper()
	var n int
	if err := st.ReadDB().QueryRow(`SELECT COUNT(*) FROM audit_pending`).Scan(&n); err != nil {
		t.Fatalf("count pending audit records: %v", err)
	}
	return n
}

// activeJobs counts evaluate and apply jobs not yet finished.
func activeJobs(t *testing.T, st *store.Store) int {
	t.Helper()
	var n int
	err := st.ReadDB().QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind IN ('evaluate', 'apply')
		AND state IN ('available', 'running', 'retryable', 'scheduled', 'pending')`).Scan(&n)
	if err != nil {
		t.Fatalf("count jobs: %v", err)
	}
	return n
}

// jobBreakdown lists unfinished jobs by kind, state and attempt.
func jobBreakdown(st *store.Store) string {
	rows, err := st.ReadDB().Query(`SELECT kind, state, attempt, COUNT(*) FROM river_job
		WHERE state NOT IN ('completed', 'cancelled', 'discarded') GROUP BY kind, state, attempt ORDER BY kind, state, attempt`)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var kind, state string
		var attempt, n int
		if rows.Scan(&kind, &state, &attempt, &n) == nil {
			fmt.Fprintf(&b, "%s/%s/attempt %d: %d; ", kind, state, attempt, n)
		}
	}
	return b.String()
}

// ---- stores ----------------------------------------------------------------

// openStore opens the store a bridge writes to (SQLite in dataDir, or the
// PostgreSQL URL) from the test process.
func openStore(t *testing.T, dataDir, dbURL string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{DataDir: dataDir, DatabaseURL: dbURL})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func ticketState(t *testing.T, st *store.Store, key string) store.TicketState {
	t.Helper()
	ts, _, err := st.Ticket(context.Background(), st.ReadDB(), bridge.Ref{Source: "jira", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// auditCounts returns, per ticket key, how many audit records of kind exist.
func auditCounts(t *testing.T, st *store.Store, kind string) map[string]int {
	t.Helper()
	rows, err := st.ReadDB().Query(st.Rebind(`SELECT ticket_key, COUNT(*) FROM audit_log WHERE kind = ? GROUP BY ticket_key`), kind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = n
	}
	return out
}

// auditKinds counts audit records by kind.
func auditKinds(t *testing.T, st *store.Store) map[string]int {
	t.Helper()
	rows, err := st.ReadDB().Query(`SELECT kind, COUNT(*) FROM audit_log GROUP BY kind`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = n
	}
	return out
}

func countRows(t *testing.T, db *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// ---- ticket views ----------------------------------------------------------

// evidenceComments are the bridge's evidence comments on an issue.
func evidenceComments(f *jirafake.Fake, key string) []jirafake.Comment {
	var out []jirafake.Comment
	for _, c := range botComments(f, key) {
		if strings.Contains(c.Body, "⟦accessbridge evidence") {
			out = append(out, c)
		}
	}
	return out
}

func botComments(f *jirafake.Fake, key string) []jirafake.Comment {
	var out []jirafake.Comment
	for _, c := range f.Comments(key) {
		if c.Author == jirafake.BotAccountID {
			out = append(out, c)
		}
	}
	return out
}

func duplicates(f *jirafake.Fake) int {
	n := 0
	for _, v := range f.DuplicateComments() {
		n += v
	}
	return n
}

func issue(t *testing.T, f *jirafake.Fake, key string) jirafake.Issue {
	t.Helper()
	is, ok := f.Issue(key)
	if !ok {
		t.Fatalf("no issue %s in the fake", key)
	}
	return is
}

func hasLabel(is jirafake.Issue, l string) bool {
	for _, x := range is.Labels {
		if x == l {
			return true
		}
	}
	return false
}

// callDelta is the per-route difference between two Calls() snapshots.
func callDelta(before, after map[string]int) (total int, routes map[string]int) {
	routes = map[string]int{}
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			routes[k] = d
			total += d
		}
	}
	return total, routes
}
