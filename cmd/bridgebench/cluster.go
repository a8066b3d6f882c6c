package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/accessbridge/accessbridge/adapters/jira/jirafake"
)

// cluster is the bridge processes of a run and how webhooks reach them.
type cluster struct {
	procs   []*bridgeProc
	proxy   *roundRobin
	url     string // where webhooks go
	secret  string // the Jira webhook secret
	pprof   string // pprof address of the first process, when profiling
	dataDir string
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// startCluster starts the replicas one after another (the first migrates
// the store) and, for more than one, the round-robin proxy. extra holds
// the scenario's variables (Jira credentials, Slack), shared by all.
func startCluster(ctx context.Context, o Options, bin, dir, dbURL, policy, directory string, extra map[string]string) (*cluster, error) {
	c := &cluster{secret: randomHex(16), dataDir: filepath.Join(dir, "data")}
	if o.CPUProfile != "" {
		addr, err := freeAddr()
		if err != nil {
			return c, err
		}
		c.pprof = addr
	}
	var addrs []string
	for i := range o.Replicas {
		addr, err := freeAddr()
		if err != nil {
			return c, err
		}
		vars := c.env(o, addr, dbURL, policy, directory)
		maps.Copy(vars, extra)
		if i == 0 && c.pprof != "" {
			vars["BRIDGE_PPROF_ADDR"] = c.pprof
		}
		p := &bridgeProc{bin: bin, env: bridgeEnv(vars), addr: addr, logPath: filepath.Join(dir, fmt.Sprintf("bridge-%d.log", i))}
		c.procs = append(c.procs, p)
		if err := p.start(); err != nil {
			return c, err
		}
		if err := p.waitReady(ctx, 90*time.Second); err != nil {
			return c, err
		}
		addrs = append(addrs, addr)
	}
	c.url = "http://" + addrs[0]
	if len(addrs) > 1 {
		px, err := startProxy(addrs)
		if err != nil {
			return c, err
		}
		c.proxy, c.url = px, px.url
	}
	return c, nil
}

func (c *cluster) env(o Options, addr, dbURL, policy, directory string) map[string]string {
	poll := o.Poll
	if o.Kill && poll == 0 {
		poll = 2 * time.Second
	}
	v := map[string]string{
		"BRIDGE_ADDR":                addr,
		"BRIDGE_PUBLIC_URL":          "http://" + addr,
		"BRIDGE_DATA_DIR":            c.dataDir,
		"BRIDGE_POLICY":              policy,
		"BRIDGE_DIRECTORY":           directory,
		"BRIDGE_GATE_TOKEN":          randomHex(16),
		"BRIDGE_EVIDENCE_KEY":        randomHex(16),
		"BRIDGE_POLL_INTERVAL":       poll.String(),
		"BRIDGE_RECONCILE_INTERVAL":  "0s",
		"BRIDGE_LOG_LEVEL":           o.LogLevel,
		"BRIDGE_JIRA_WEBHOOK_SECRET": c.secret,
		"BRIDGE_JIRA_PROJECTS":       "ACC",
	}
	if dbURL != "" {
		v["BRIDGE_DATABASE_URL"] = dbURL
	}
	if o.Workers > 0 {
		v["BRIDGE_WORKERS"] = strconv.Itoa(o.Workers)
	}
	return v
}

// stop ends every process gracefully and returns the figures of all
// incarnations: the highest peak RSS and the summed CPU.
func (c *cluster) stop() (peak int64, cpu time.Duration) {
	if c.proxy != nil {
		c.proxy.close()
	}
	for _, p := range c.procs {
		p.stop(30 * time.Second)
		for _, s := range p.stats {
			peak = max(peak, s.PeakRSS)
			cpu += s.CPU
		}
	}
	return peak, cpu
}

// restart kills process i as a crash would and starts it again; it
// returns the downtime.
func (c *cluster) restart(ctx context.Context, i int) (time.Duration, error) {
	p := c.procs[i]
	start := time.Now()
	p.kill()
	if err := p.start(); err != nil {
		return time.Since(start), err
	}
	err := p.waitReady(ctx, 90*time.Second)
	return time.Since(start), err
}

// jiraEnv is how the bridge reaches the fake: Cloud authenticates with
// Basic email:API-token and maps the hidden emails of accountIds through
// ACCOUNT_EMAILS; Data Center uses a personal access token.
func jiraEnv(o Options, jiraURL string, users []jirafake.User) map[string]string {
	v := map[string]string{"BRIDGE_JIRA_URL": jiraURL, "BRIDGE_JIRA_DEPLOYMENT": o.Deployment}
	if !o.cloud() {
		v["BRIDGE_JIRA_PAT"] = jirafake.BotToken
		return v
	}
	v["BRIDGE_JIRA_EMAIL"] = jirafake.BotEmail
	v["BRIDGE_JIRA_API_TOKEN"] = jirafake.BotToken
	pairs := make([]string, 0, len(users))
	for _, u := range users {
		pairs = append(pairs, u.AccountID+":"+u.Email)
	}
	v["BRIDGE_JIRA_ACCOUNT_EMAILS"] = strings.Join(pairs, ",")
	return v
}
