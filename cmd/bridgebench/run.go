package main

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/accessbridge/accessbridge/adapters/jira/jirafake"
)

// Run executes one bounded run and returns its summary. The summary is
// returned (possibly partial) whenever the workload started.
func Run(ctx context.Context, o Options) (*Summary, error) {
	if o.Deployment == "" {
		o.Deployment = deployCloud
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	r := &runner{o: o, cleanup: func() {}}
	defer func() { r.cleanup() }()
	if err := r.setup(ctx); err != nil {
		return nil, err
	}
	if o.Scenario == "slack" {
		return r.executeSlack(ctx)
	}
	return r.execute(ctx)
}

type runner struct {
	o       Options
	dir     string
	up      *upstream
	sl      *slackSide // the Slack scenario only
	view    *storeView
	cl      *cluster
	cpu0    time.Duration
	cleanup func()
}

func (r *runner) logf(format string, a ...any) {
	if r.o.Log != nil {
		fmt.Fprintf(r.o.Log, "bridgebench: "+format+"\n", a...)
	}
}

func (r *runner) setup(ctx context.Context) error {
	var steps []func()
	r.cleanup = func() {
		for i := len(steps) - 1; i >= 0; i-- {
			steps[i]()
		}
	}
	dir, err := os.MkdirTemp("", "bridgebench-")
	if err != nil {
		return err
	}
	r.dir = dir
	steps = append(steps, func() {
		if !r.o.Keep {
			os.RemoveAll(dir)
		}
	})
	bin, policy, directory, err := r.inputs(ctx)
	if err != nil {
		return err
	}
	extra, err := r.startUpstreams(directory, &steps)
	if err != nil {
		return err
	}
	dbURL := ""
	if r.o.DB != "" {
		if r.view, dbURL, err = newSchema(ctx, r.o.DB); err != nil {
			return err
		}
		steps = append(steps, func() {
			dctx, c := context.WithTimeout(context.Background(), 30*time.Second)
			defer c()
			if err := r.view.close(dctx, !r.o.Keep); err != nil {
				r.logf("dropping schema %s: %v", r.view.schema, err)
			}
		})
	}
	r.logf("starting %d bridge process(es) from %s", r.o.Replicas, bin)
	r.cl, err = startCluster(ctx, r.o, bin, dir, dbURL, policy, directory, extra)
	steps = append(steps, func() { r.cl.stop() })
	if err != nil {
		return err
	}
	if r.view == nil {
		if r.view, err = openSQLiteView(filepath.Join(r.cl.dataDir, "bridge.db")); err != nil {
			return err
		}
		steps = append(steps, func() { _ = r.view.close(context.Background(), false) })
	}
	return nil
}

// startUpstreams starts the Jira fake (and for the Slack scenario the
// Slack fake) and returns the bridge variables that reach them.
func (r *runner) startUpstreams(directory string, steps *[]func()) (map[string]string, error) {
	users := requesters
	var people []dirPerson
	if r.o.Scenario == "slack" {
		var err error
		if people, err = readPeople(directory); err != nil {
			return nil, err
		}
		users = jiraUsersOf(people)
	}
	var err error
	if r.up, err = startUpstream(r.o.Seed, users, r.o.cloud()); err != nil {
		return nil, err
	}
	*steps = append(*steps, r.up.close)
	r.up.unknownIdentity = r.o.Scenario == "slack"
	extra := jiraEnv(r.o, r.up.url, users)
	if r.o.Scenario != "slack" {
		return extra, nil
	}
	if r.sl, err = startSlack(people); err != nil {
		return nil, err
	}
	*steps = append(*steps, r.sl.close)
	maps.Copy(extra, r.sl.env())
	return extra, nil
}

// inputs are the bridge binary, the policy and the directory.
func (r *runner) inputs(ctx context.Context) (bin, policy, directory string, err error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return "", "", "", err
	}
	policy, directory = r.o.Policy, r.o.Directory
	if policy == "" {
		policy = filepath.Join(root, "examples", "policy.yaml")
	}
	if directory == "" {
		directory = filepath.Join(root, "examples", "people.csv")
	}
	bin = r.o.BridgeBin
	if bin == "" {
		r.logf("building ./cmd/bridge")
		bin, err = buildBridge(ctx, r.dir)
	}
	return bin, policy, directory, err
}

// execute sends the workload, waits for it to finish and measures.
func (r *runner) execute(ctx context.Context) (*Summary, error) {
	tickets := makeTickets(r.o)
	tr := newTracker(r.up, r.view, len(tickets), r.o.Updates)
	snd := newSender(r.up, tr, r.cl.url+"/webhooks/jira", r.cl.secret, r.o.Concurrency)
	r.up.fake.Throttle(r.o.Throttle, r.o.RetryAfter)
	wctx, stopWork := context.WithCancel(ctx)
	defer stopWork()
	var bg sync.WaitGroup
	if r.o.Faults > 0 {
		bg.Go(func() { alternateFaults(wctx, r.up.fake, r.o.Faults) })
	}
	profile := r.startProfile(ctx)
	var downtime time.Duration
	var killErr error
	if r.o.Kill {
		bg.Go(func() { downtime, killErr = r.killMidway(wctx, tr) })
	}
	bg.Go(func() { r.progress(wctx, tr) })
	r.cpu0 = selfCPU()
	creates := make(chan *ticket)
	go feed(wctx, tickets, creates)
	workers := snd.run(wctx, creates)
	go tr.run(wctx)
	timedOut := false
	select {
	case <-tr.allDone:
	case <-ctx.Done():
		timedOut = true
	}
	stopWork()
	workers.Wait()
	bg.Wait()
	r.up.fake.Throttle(0, 0)
	r.up.fake.Faults(0, jirafake.Before)
	prof := <-profile // the profile covers a fixed span; the bridges must outlive it
	sum := r.summarize(tickets, tr, snd, timedOut, downtime)
	sum.CPUProfile = prof
	return sum, killErr
}

func makeTickets(o Options) []*ticket {
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed+1))
	ts := make([]*ticket, o.Tickets)
	for i := range ts {
		ts[i] = &ticket{idx: i, identity: rng.Float64() < o.Mix}
	}
	return ts
}

// alternateFaults flips the fake between failing before and after the
// write, so half of the injected 5xx on writes happen after applying them.
// Reads always fail before.
func alternateFaults(ctx context.Context, f *jirafake.Fake, share float64) {
	when := jirafake.Before
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		f.Faults(share, when)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		when = 1 - when
	}
}

func (r *runner) killMidway(ctx context.Context, tr *tracker) (time.Duration, error) {
	select {
	case <-ctx.Done():
		return 0, nil
	case <-tr.halfway:
	}
	done, inflight := tr.progress()
	r.logf("SIGKILL bridge 0 at %d done / %d in flight", done, inflight)
	d, err := r.cl.restart(ctx, 0)
	r.logf("bridge 0 back after %s", d.Round(time.Millisecond))
	return d, err
}

func (r *runner) progress(ctx context.Context, tr *tracker) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		done, inflight := tr.progress()
		r.logf("%d/%d events done, %d in flight, bridge RSS peak %.0f MB", done, tr.total, inflight,
			float64(r.cl.procs[0].current().PeakRSS)/1e6)
	}
}
