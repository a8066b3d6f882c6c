// Package pipeline runs the bridge's durable work: it turns accepted events
// into evaluations, verdicts into audit records and actions, and schedules
// polls, reconciles, grant expiry and reminders. Jobs run on River, so a
// crash loses nothing and a job inserted in a transaction exists exactly when
// the data that caused it does.
package pipeline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/audit"
	"github.com/accessbridge/accessbridge/bridge/store"
	"github.com/accessbridge/accessbridge/policy"
)

// Notifier is told about verdict changes and due reminders (Slack).
type Notifier interface {
	Notify(ctx context.Context, ev bridge.Evidence, prev policy.Verdict) error
	Remind(ctx context.Context, ref bridge.Ref) error
	NotifyExpiry(ctx context.Context, g bridge.Grant) error
}

// Worker runs adapter-defined durable work (e.g. a Slack request answered
// later through response_url).
type Worker interface {
	Work(ctx context.Context, kind string, payload []byte) error
}

// Config wires the pipeline.
type Config struct {
	Store       *store.Store
	Audit       *audit.Log
	Policy      *PolicyHolder
	Directory   bridge.Directory
	Sources     map[string]bridge.Source
	Notifier    Notifier // optional
	Worker      Worker   // optional, runs "adapter" jobs
	EvidenceURL string   // base URL of the evidence page, e.g. https://bridge.example.com
	EvidenceKey []byte   // signs evidence links put in ticket comments
	Log         *slog.Logger
	Now         func() time.Time

	Workers        int           // concurrent jobs; default 20
	PollEvery      time.Duration // 0 disables polling
	ReconcileEvery time.Duration // 0 disables reconcile
	ExpireEvery    time.Duration // default 1m
	RemindEvery    time.Duration // default 5m; 0 with no Notifier
	FetchPoll      time.Duration // River's fetch poll interval; default 50ms
	JobTimeout     time.Duration // one job's limit; default 2m
	RescueAfter    time.Duration // a job running longer is presumed orphaned (its replica died) and retried; default 5m, at least JobTimeout
}

// Pipeline is the running job engine with its workers.
type Pipeline struct {
	cfg      Config
	river    *river.Client[*sql.Tx]
	metrics  *Metrics
	batch    *groupCommit
	log      *slog.Logger
	started  atomic.Bool
	stopOnce sync.Once

	sealKick   chan struct{}
	sealDone   chan struct{}
	stopSealer context.CancelFunc
}

// New builds the pipeline and its River client; Start runs it.
func New(cfg Config) (*Pipeline, error) {
	if cfg.Store == nil || cfg.Audit == nil || cfg.Policy == nil || cfg.Directory == nil {
		return nil, errors.New("pipeline: store, audit, policy and directory are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 20
	}
	if cfg.ExpireEvery <= 0 {
		cfg.ExpireEvery = time.Minute
	}
	if cfg.FetchPoll <= 0 {
		cfg.FetchPoll = 50 * time.Millisecond
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = 2 * time.Minute
	}
	if cfg.RescueAfter <= 0 {
		cfg.RescueAfter = 5 * time.Minute
	}
	cfg.RescueAfter = max(cfg.RescueAfter, cfg.JobTimeout)
	p := &Pipeline{cfg: cfg, log: cfg.Log, metrics: newMetrics(), sealKick: make(chan struct{}, 1), sealDone: make(chan struct{})}
	workers := river.NewWorkers()
	river.AddWorker(workers, &evaluateWorker{p: p})
	river.AddWorker(workers, &applyWorker{p: p})
	river.AddWorker(workers, &pollWorker{p: p})
	river.AddWorker(workers, &reconcileWorker{p: p})
	river.AddWorker(workers, &expireWorker{p: p})
	river.AddWorker(workers, &remindWorker{p: p})
	river.AddWorker(workers, &adapterWorker{p: p})
	rc, err := river.NewClient(cfg.Store.RiverDriver(), &river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:              workers,
		PeriodicJobs:         p.periodicJobs(),
		Schema:               cfg.Store.Schema(),
		FetchPollInterval:    cfg.FetchPoll,
		FetchCooldown:        cfg.FetchPoll / 5,
		MaxAttempts:          25,
		RescueStuckJobsAfter: cfg.RescueAfter,
		JobTimeout:           cfg.JobTimeout,
		Logger:               quietLogger(cfg.Log),
		RetryPolicy:          &retryPolicy{},
	})
	if err != nil {
		return nil, fmt.Errorf("pipeline: river client: %w", err)
	}
	p.river = rc
	p.batch = newGroupCommit(p)
	return p, nil
}

// Start runs the workers and, on the elected leader, the periodic jobs.
func (p *Pipeline) Start(ctx context.Context) error {
	n, err := p.requeueOrphans(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		p.log.Warn("requeued jobs a previous process left running", "jobs", n)
	}
	if err := p.river.Start(ctx); err != nil {
		return fmt.Errorf("pipeline: start: %w", err)
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p.stopSealer = cancel
	go p.seal(sctx)
	p.kickSeal() // records a previous process queued but did not chain
	p.started.Store(true)
	return nil
}

// Stop stops fetching new jobs and waits for running ones until ctx ends;
// then running jobs are cancelled and River hands them back (they are
// rescued and retried, never lost).
func (p *Pipeline) Stop(ctx context.Context) error {
	p.stopOnce.Do(p.batch.close)
	if !p.started.Load() {
		return nil
	}
	err := p.river.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		hard, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = p.river.StopAndCancel(hard)
	}
	p.stopSealer() // after the jobs: their records are chained in the last pass
	<-p.sealDone
	return err
}

// Metrics exposes the pipeline's Prometheus collectors.
func (p *Pipeline) Metrics() *Metrics { return p.metrics }

// Store returns the store the pipeline writes to.
func (p *Pipeline) Store() *store.Store { return p.cfg.Store }

// Policy returns the policy in force.
func (p *Pipeline) Policy() *policy.Policy { return p.cfg.Policy.Get() }

func (p *Pipeline) source(name string) (bridge.Source, error) {
	s, ok := p.cfg.Sources[name]
	if !ok {
		return nil, fmt.Errorf("unknown source %q: %w", name, bridge.ErrNotFound)
	}
	return s, nil
}

// retryPolicy backs off exponentially from 1s to 5 minutes: fast enough for
// a throttled upstream to recover, never a hot loop.
type retryPolicy struct{}

func (*retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	d := time.Second << min(job.Attempt, 9)
	return time.Now().Add(min(d, 5*time.Minute))
}

// quietLogger keeps River's own chatter at warn and above.
func quietLogger(l *slog.Logger) *slog.Logger {
	return slog.New(levelFilter{l.Handler(), slog.LevelWarn})
}

type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

func (f levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFilter{f.Handler.WithAttrs(a), f.min}
}

func (f levelFilter) WithGroup(n string) slog.Handler {
	return levelFilter{f.Handler.WithGroup(n), f.min}
}
