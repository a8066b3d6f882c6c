package pipeline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/policy"
)

// apply performs each action of a verdict change once. An action already
// marked done is skipped, so a retry after a crash repeats nothing that
// completed; the sources' upserts cover a crash between the upstream call
// and the mark.
func (p *Pipeline) apply(ctx context.Context, a ApplyArgs) error {
	src, err := p.source(a.Ticket.Source)
	if err != nil {
		return fmt.Errorf("apply %s: %w", a.Ticket, bridge.ErrPermanent)
	}
	var done []doneAction
	var retry error
	for _, act := range a.Actions {
		already, err := p.cfg.Store.ActionDone(ctx, p.cfg.Store.ReadDB(), act.IdempotencyKey())
		if err != nil {
			return err
		}
		if already {
			continue
		}
		res, err := p.applyOne(ctx, src, act)
		p.metrics.action(act.Kind, err)
		if err != nil && bridge.Retryable(err) {
			p.metrics.upstreamError(a.Ticket.Source, act.Kind, err)
			retry = errors.Join(retry, err)
			continue // later actions may still succeed; the job retries the rest
		}
		rec := bridge.ActionRecord{Kind: act.Kind, Result: res, At: p.cfg.Now()}
		if err != nil {
			rec.Error = err.Error()
		}
		done = append(done, doneAction{act, rec})
	}
	if err := p.finish(ctx, a.Ticket, done); err != nil {
		return err
	}
	return retry
}

type doneAction struct {
	action bridge.Action
	record bridge.ActionRecord
}

func (p *Pipeline) applyOne(ctx context.Context, src bridge.Source, act bridge.Action) (bridge.ActionResult, error) {
	if act.Kind == ActionNotify {
		return p.notify(ctx, act)
	}
	res, err := src.Apply(ctx, act)
	if err != nil || act.Kind != bridge.ActionRevert {
		return res, err
	}
	// A revert is followed by a notice naming who moved the ticket and why;
	// where no way back exists the ticket is labelled a violation instead.
	follow := bridge.Action{Kind: bridge.ActionReply, Ticket: act.Ticket, Digest: act.Digest, Body: act.Body}
	if res.Detail == "no_way_back" {
		follow.Body = "No transition leads back from " + act.Revert.From + ": recorded as a policy violation. " + act.Body
		if _, err := src.Apply(ctx, bridge.Action{Kind: bridge.ActionLabel, Ticket: act.Ticket, Digest: act.Digest, Labels: append(p.currentLabels(ctx, act.Ticket), LabelViolation)}); err != nil {
			return res, err
		}
	}
	_, err = src.Apply(ctx, follow)
	return res, err
}

// finish marks the actions done and records their upstream results in the
// audit chain, in one transaction.
func (p *Pipeline) finish(ctx context.Context, ref bridge.Ref, done []doneAction) error {
	if len(done) == 0 {
		return nil
	}
	st := p.cfg.Store
	return st.InTx(ctx, func(tx *sql.Tx) error {
		records := make([]map[string]any, 0, len(done))
		violation := false
		for _, d := range done {
			if err := st.MarkAction(ctx, tx, d.action.IdempotencyKey(), d.action, d.record.Result); err != nil {
				return err
			}
			violation = violation || (d.action.Kind == bridge.ActionRevert && d.record.Result.Detail == "no_way_back")
			records = append(records, map[string]any{"action": d.action.Kind, "digest": d.action.Digest, "revert": d.action.Revert,
				"result": d.record.Result, "error": d.record.Error, "at": d.record.At})
		}
		kind := "actions"
		if violation {
			kind = "violation"
		}
		return p.audit(ctx, tx, kind, ref, done[len(done)-1].record.At, records)
	})
}

func (p *Pipeline) currentLabels(ctx context.Context, ref bridge.Ref) []string {
	st, found, err := p.cfg.Store.Ticket(ctx, p.cfg.Store.ReadDB(), ref)
	if err != nil || !found {
		return nil
	}
	var d policy.Decision
	if err := jsonUnmarshal(st.Decision, &d); err != nil {
		return nil
	}
	return labelsFor(d, false)
}

func (p *Pipeline) notify(ctx context.Context, act bridge.Action) (bridge.ActionResult, error) {
	ev, err := p.Evidence(ctx, act.Ticket)
	if err != nil {
		return bridge.ActionResult{}, err
	}
	if err := p.cfg.Notifier.Notify(ctx, ev, policy.Verdict(act.Body)); err != nil {
		return bridge.ActionResult{}, err
	}
	return bridge.ActionResult{Detail: "notified"}, nil
}
