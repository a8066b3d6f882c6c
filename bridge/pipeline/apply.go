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
	var records []bridge.ActionRecord
	var retry error
	for _, act := range a.Actions {
		done, err := p.cfg.Store.ActionDone(ctx, p.cfg.Store.ReadDB(), act.IdempotencyKey())
		if err != nil {
			return err
		}
		if done {
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
		records = append(records, rec)
		if err := p.finish(ctx, act, res, rec); err != nil {
			return err
		}
	}
	return retry
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

// finish marks the action done and records its upstream result in the
// audit chain, in one transaction.
func (p *Pipeline) finish(ctx context.Context, act bridge.Action, res bridge.ActionResult, rec bridge.ActionRecord) error {
	st := p.cfg.Store
	return st.InTx(ctx, func(tx *sql.Tx) error {
		if err := st.MarkAction(ctx, tx, act.IdempotencyKey(), act, res); err != nil {
			return err
		}
		kind := "action"
		if act.Kind == bridge.ActionRevert && res.Detail == "no_way_back" {
			kind = "violation"
		}
		_, err := p.cfg.Audit.Append(ctx, tx, kind, act.Ticket, rec.At, map[string]any{"action": act.Kind, "digest": act.Digest, "revert": act.Revert, "result": res, "error": rec.Error})
		return err
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
