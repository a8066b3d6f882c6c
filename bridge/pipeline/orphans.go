package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/accessbridge/accessbridge/bridge/store"
)

// requeueOrphans makes jobs that a previous process left running (it was
// killed, ran out of memory, lost power) available again. A SQLite store
// belongs to one process, so before this one starts every running job is
// an orphan. Without this River rescues them only after RescueAfter
// (minutes), and an orphaned apply job leaves a recorded verdict without
// its comment, labels and property until then: no later evaluation
// re-enqueues it, because the verdict has not changed.
func (p *Pipeline) requeueOrphans(ctx context.Context) (int, error) {
	if p.cfg.Store.Dialect() != store.SQLite {
		return 0, nil // replicas share PostgreSQL: River's rescuer decides
	}
	exec := p.cfg.Store.RiverDriver().GetExecutor()
	now := time.Now().UTC()
	total := 0
	for {
		jobs, err := exec.JobGetStuck(ctx, &riverdriver.JobGetStuckParams{Max: 500, StuckHorizon: now, Schema: p.cfg.Store.Schema()})
		if err != nil {
			return total, fmt.Errorf("pipeline: list orphaned jobs: %w", err)
		}
		if len(jobs) == 0 {
			return total, nil
		}
		params := &riverdriver.JobRescueManyParams{Schema: p.cfg.Store.Schema(), StuckHorizon: now}
		for _, j := range jobs {
			e, _ := json.Marshal(rivertype.AttemptError{At: now, Attempt: j.Attempt, Error: "the process running this job ended before it finished"})
			params.ID = append(params.ID, j.ID)
			params.Error = append(params.Error, e)
			params.FinalizedAt = append(params.FinalizedAt, nil)
			params.ScheduledAt = append(params.ScheduledAt, now)
			params.State = append(params.State, string(rivertype.JobStateAvailable))
		}
		if _, err := exec.JobRescueMany(ctx, params); err != nil {
			return total, fmt.Errorf("pipeline: requeue orphaned jobs: %w", err)
		}
		total += len(jobs)
	}
}
