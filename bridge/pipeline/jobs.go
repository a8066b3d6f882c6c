package pipeline

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"github.com/accessbridge/accessbridge/bridge"
)

// EvaluateArgs asks for one ticket to be re-read and evaluated. Jobs are
// unique by (source, key, revision): a redelivered webhook or a poll that
// sees the same revision adds nothing.
type EvaluateArgs struct {
	Source     string             `json:"source" river:"unique"`
	Key        string             `json:"key" river:"unique"`
	Revision   string             `json:"revision" river:"unique"`
	Trigger    string             `json:"trigger,omitempty"`
	Actor      bridge.Actor       `json:"actor,omitzero"`
	Transition *bridge.Transition `json:"transition,omitempty"`
}

func (EvaluateArgs) Kind() string { return "evaluate" }

// Evaluations yield to actions (priority 2 after 1): evidence reaches the
// ticket soon after its verdict instead of queueing behind every newer
// evaluation.
func (EvaluateArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Priority: 2, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// ApplyArgs carries the actions one verdict change caused. Each action is
// done at most once, by its idempotency key, even across retries.
type ApplyArgs struct {
	Ticket  bridge.Ref      `json:"ticket"`
	Digest  string          `json:"digest" river:"unique"`
	Key     string          `json:"key" river:"unique"` // ticket ref, for uniqueness
	Actions []bridge.Action `json:"actions"`
}

func (ApplyArgs) Kind() string { return "apply" }

func (ApplyArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Priority: 1, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// PollArgs asks a source for changes since its cursor.
type PollArgs struct {
	Source string `json:"source"`
}

func (PollArgs) Kind() string { return "poll" }

// ReconcileArgs re-evaluates every open identity ticket so a missed webhook
// cannot leave a stale verdict.
type ReconcileArgs struct{}

func (ReconcileArgs) Kind() string { return "reconcile" }

// ExpireArgs expires time-bound grants that are due.
type ExpireArgs struct{}

func (ExpireArgs) Kind() string { return "expire" }

// RemindArgs reminds approvers of pending tickets and escalates.
type RemindArgs struct{}

func (RemindArgs) Kind() string { return "remind" }

// AdapterArgs is durable work an adapter asked for (e.g. Slack).
type AdapterArgs struct {
	Kind_   string `json:"kind"`
	Payload []byte `json:"payload"`
}

func (AdapterArgs) Kind() string { return "adapter" }

type evaluateWorker struct {
	river.WorkerDefaults[EvaluateArgs]
	p *Pipeline
}

func (w *evaluateWorker) Work(ctx context.Context, job *river.Job[EvaluateArgs]) error {
	return w.p.jobError(w.p.evaluate(ctx, job.Args))
}

type applyWorker struct {
	river.WorkerDefaults[ApplyArgs]
	p *Pipeline
}

func (w *applyWorker) Work(ctx context.Context, job *river.Job[ApplyArgs]) error {
	if job.Attempt > 1 {
		for i := range job.Args.Actions {
			job.Args.Actions[i].Retry = true
		}
	}
	return w.p.jobError(w.p.apply(ctx, job.Args))
}

type pollWorker struct {
	river.WorkerDefaults[PollArgs]
	p *Pipeline
}

func (w *pollWorker) Work(ctx context.Context, job *river.Job[PollArgs]) error {
	return w.p.jobError(w.p.poll(ctx, job.Args.Source))
}

type reconcileWorker struct {
	river.WorkerDefaults[ReconcileArgs]
	p *Pipeline
}

func (w *reconcileWorker) Work(ctx context.Context, _ *river.Job[ReconcileArgs]) error {
	return w.p.jobError(w.p.reconcile(ctx))
}

type expireWorker struct {
	river.WorkerDefaults[ExpireArgs]
	p *Pipeline
}

func (w *expireWorker) Work(ctx context.Context, _ *river.Job[ExpireArgs]) error {
	return w.p.jobError(w.p.expire(ctx))
}

type remindWorker struct {
	river.WorkerDefaults[RemindArgs]
	p *Pipeline
}

func (w *remindWorker) Work(ctx context.Context, _ *river.Job[RemindArgs]) error {
	return w.p.jobError(w.p.remind(ctx))
}

type adapterWorker struct {
	river.WorkerDefaults[AdapterArgs]
	p *Pipeline
}

func (w *adapterWorker) Work(ctx context.Context, job *river.Job[AdapterArgs]) error {
	if w.p.cfg.Worker == nil {
		return river.JobCancel(errNoWorker)
	}
	return w.p.jobError(w.p.cfg.Worker.Work(ctx, job.Args.Kind_, job.Args.Payload))
}

// jobError turns an error that retrying cannot fix into a cancelled job
// (recorded, not retried 25 times).
func (p *Pipeline) jobError(err error) error {
	var ue *bridge.UpstreamError
	if errors.As(err, &ue) && ue.Retryable && ue.RetryAfter > 0 {
		return river.JobSnooze(ue.RetryAfter) // the upstream said when; no backoff guesswork
	}
	if err == nil || bridge.Retryable(err) {
		return err
	}
	p.log.Warn("job failed permanently", "err", err)
	return river.JobCancel(err)
}

var errNoWorker = errors.New("no adapter worker configured")

func (p *Pipeline) periodicJobs() []*river.PeriodicJob {
	var jobs []*river.PeriodicJob
	every := func(d time.Duration, args river.JobArgs) {
		jobs = append(jobs, river.NewPeriodicJob(river.PeriodicInterval(d),
			func() (river.JobArgs, *river.InsertOpts) { return args, nil },
			&river.PeriodicJobOpts{RunOnStart: true}))
	}
	if p.cfg.PollEvery > 0 {
		for name := range p.cfg.Sources {
			every(p.cfg.PollEvery, PollArgs{Source: name})
		}
	}
	if p.cfg.ReconcileEvery > 0 {
		every(p.cfg.ReconcileEvery, ReconcileArgs{})
	}
	every(p.cfg.ExpireEvery, ExpireArgs{})
	if p.cfg.Notifier != nil && p.cfg.RemindEvery > 0 {
		every(p.cfg.RemindEvery, RemindArgs{})
	}
	return jobs
}
