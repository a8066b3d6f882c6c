package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// Options bound one run. Every count and duration is finite: the tool stops
// by itself.
type Options struct {
	Tickets        int
	Concurrency    int
	Updates        int     // edits per ticket after its creation, each firing a webhook
	Mix            float64 // share of identity-impacting tickets
	Throttle       float64 // share of upstream calls answered 429
	RetryAfter     time.Duration
	Faults         float64 // share of upstream calls answered 500 (half before, half after the write)
	Kill           bool    // SIGKILL a bridge midway and restart it
	Replicas       int
	DB             string // PostgreSQL URL; empty = SQLite
	Scenario       string // jira | slack
	Deployment     string // cloud | datacenter: the Jira the fake plays
	Timeout        time.Duration
	Poll           time.Duration // bridge poll interval; 0 = off (-kill turns it on)
	Workers        int           // BRIDGE_WORKERS; 0 = the bridge's default
	LogLevel       string        // the bridge's log level
	JSON           bool
	Keep           bool
	CPUProfile     string // write a CPU profile of (the first) bridge here
	ProfileSeconds int
	ToolProfile    string // the tool's own CPU profile
	BridgeBin      string // use this binary instead of building ./cmd/bridge
	Policy         string // default examples/policy.yaml
	Directory      string // default examples/people.csv
	Seed           uint64
	Log            io.Writer // progress lines; nil = silent
}

func parseOptions(args []string, stderr io.Writer) (Options, error) {
	var o Options
	fs := flag.NewFlagSet("bridgebench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.Tickets, "tickets", 10000, "tickets to create")
	fs.IntVar(&o.Concurrency, "concurrency", 32, "webhooks in flight")
	fs.IntVar(&o.Updates, "updates", 0, "edits per ticket, each firing another webhook")
	fs.Float64Var(&o.Mix, "mix", 0.5, "share of identity-impacting tickets")
	fs.Float64Var(&o.Throttle, "throttle", 0, "share of upstream calls answered 429 with Retry-After")
	fs.DurationVar(&o.RetryAfter, "retry-after", time.Second, "Retry-After of throttled answers (whole seconds)")
	fs.Float64Var(&o.Faults, "faults", 0, "share of upstream calls answered 500, half before and half after applying a write")
	fs.BoolVar(&o.Kill, "kill", false, "SIGKILL the bridge midway and restart it (turns on polling)")
	fs.IntVar(&o.Replicas, "replicas", 1, "bridge processes behind a round-robin proxy (PostgreSQL only when > 1)")
	fs.StringVar(&o.DB, "db", "", "PostgreSQL URL (a fresh schema is used and dropped); empty = SQLite in a temp dir")
	fs.StringVar(&o.Scenario, "scenario", "jira", "jira | slack (signed /access commands, then approver clicks)")
	fs.StringVar(&o.Deployment, "deployment", "cloud", "cloud | datacenter: the Jira the fake plays (Cloud writes labels and evidence in one edit)")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Minute, "overall bound of the run")
	fs.DurationVar(&o.Poll, "poll", 0, "bridge poll interval (0 = off; -kill defaults it to 2s)")
	fs.IntVar(&o.Workers, "workers", 0, "BRIDGE_WORKERS (0 = the bridge's default)")
	fs.StringVar(&o.LogLevel, "log-level", "warn", "the bridge's BRIDGE_LOG_LEVEL")
	fs.BoolVar(&o.JSON, "json", false, "print the summary as JSON")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temp dir (binary, logs, SQLite file) and the PostgreSQL schema")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the bridge (via BRIDGE_PPROF_ADDR) to this file")
	fs.IntVar(&o.ProfileSeconds, "cpuprofile-seconds", 20, "length of the CPU profile, from the start of the workload")
	fs.StringVar(&o.ToolProfile, "toolprofile", "", "write the tool's own CPU profile (fakes, senders, observer) to this file")
	fs.StringVar(&o.BridgeBin, "bridge-bin", "", "use this bridge binary instead of building ./cmd/bridge")
	fs.StringVar(&o.Policy, "policy", "", "policy file (default examples/policy.yaml of the module)")
	fs.StringVar(&o.Directory, "directory", "", "directory file (default examples/people.csv of the module)")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed for the ticket mix and fault injection")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return o, o.validate()
}

func (o *Options) validate() error {
	var errs []error
	check := func(ok bool, msg string) {
		if !ok {
			errs = append(errs, errors.New(msg))
		}
	}
	check(o.Tickets > 0 && o.Tickets <= 10_000_000, "-tickets must be in 1..10000000")
	check(o.Concurrency > 0 && o.Concurrency <= 4096, "-concurrency must be in 1..4096")
	check(o.Updates >= 0 && o.Updates <= 100, "-updates must be in 0..100")
	check(o.Mix >= 0 && o.Mix <= 1, "-mix must be in 0..1")
	check(o.Throttle >= 0 && o.Throttle < 1, "-throttle must be in 0..1")
	check(o.Faults >= 0 && o.Faults < 1, "-faults must be in 0..1")
	check(o.Throttle+o.Faults < 1, "-throttle plus -faults must stay below 1")
	check(o.Replicas >= 1 && o.Replicas <= 16, "-replicas must be in 1..16")
	check(o.Replicas == 1 || o.DB != "", "-replicas > 1 needs -db (PostgreSQL)")
	check(o.Scenario == "jira" || o.Scenario == "slack", "-scenario must be jira or slack")
	check(o.Deployment == deployCloud || o.Deployment == deployDC, "-deployment must be cloud or datacenter")
	check(o.Timeout > 0, "-timeout must be positive")
	check(o.CPUProfile == "" || (o.ProfileSeconds > 0 && o.ProfileSeconds <= 600), "-cpuprofile-seconds must be in 1..600")
	check(o.RetryAfter >= 0, "-retry-after must not be negative")
	if o.DB != "" {
		u, err := url.Parse(o.DB)
		check(err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql"), "-db must be a postgres:// URL")
		if err == nil {
			check(isLoopbackHost(u.Hostname()), "-db must point at a loopback address")
		}
	}
	return errors.Join(errs...)
}

// Jira deployments the fake can play.
const (
	deployCloud = "cloud"
	deployDC    = "datacenter"
)

func (o *Options) cloud() bool { return o.Deployment == deployCloud }

func isLoopbackHost(h string) bool {
	return h == "127.0.0.1" || h == "::1" || h == "localhost"
}
