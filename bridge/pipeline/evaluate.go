package pipeline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/store"
	"github.com/accessbridge/accessbridge/policy"
)

// evaluate re-reads a ticket, evaluates it and, when the verdict changed or
// a gated transition must be undone, records evidence and enqueues actions
// in one transaction.
func (p *Pipeline) evaluate(ctx context.Context, a EvaluateArgs) error {
	src, err := p.source(a.Source)
	if err != nil {
		return fmt.Errorf("evaluate %s:%s: %w", a.Source, a.Key, bridge.ErrPermanent)
	}
	start := time.Now()
	t, err := src.Fetch(ctx, a.Key)
	if errors.Is(err, bridge.ErrNotFound) {
		return p.closeTicket(ctx, bridge.Ref{Source: a.Source, Key: a.Key})
	}
	if err != nil {
		p.metrics.upstreamError(a.Source, "fetch", err)
		return err
	}
	if err := p.verifiedRequester(ctx, &t); err != nil {
		return err
	}
	pol := p.cfg.Policy.Get()
	approvals, err := p.collectApprovals(ctx, t, pol)
	if err != nil {
		return err
	}
	now := p.cfg.Now()
	d := pol.Evaluate(t, dirView{ctx: ctx, dir: p.cfg.Directory}, approvals, now)
	p.metrics.evaluated(d, time.Since(start))
	return p.record(ctx, t, d, approvals, a, pol, now)
}

// snapshot is the directory's view of a person at evaluation time, kept
// with the evidence so an auditor sees what eligibility was judged on.
func (p *Pipeline) snapshot(ctx context.Context, email string) *policy.Person {
	if email == "" {
		return nil
	}
	person, err := p.cfg.Directory.Lookup(ctx, email)
	if err != nil {
		return nil
	}
	return &person
}

// collectApprovals merges approvals given outside the ticket (stored) with
// `/approve` comments. A comment approval is stored the first time it is
// seen, bound to the entitlement as it was then: editing the request later
// invalidates it.
func (p *Pipeline) collectApprovals(ctx context.Context, t bridge.Ticket, pol *policy.Policy) ([]policy.Approval, error) {
	ref := bridge.Ref{Source: t.Source, Key: t.Key}
	st := p.cfg.Store
	stored, err := st.Approvals(ctx, st.ReadDB(), ref)
	if err != nil {
		return nil, err
	}
	fromComments, _ := bridge.ApprovalsFromComments(t)
	var digest string
	for _, c := range fromComments {
		if containsApproval(stored, c) {
			continue
		}
		if digest == "" {
			digest = pol.Classify(t).Entitlement.Digest()
		}
		c.Digest = digest
		if _, err := st.AddApproval(ctx, st.DB(), ref, c); err != nil {
			return nil, err
		}
		stored = append(stored, c)
	}
	return stored, nil
}

func containsApproval(list []policy.Approval, a policy.Approval) bool {
	for _, x := range list {
		if x.By == a.By && x.Channel == a.Channel && x.Decision == a.Decision && x.SourceUser == a.SourceUser && sameInstant(x.At, a.At) {
			return true
		}
	}
	return false
}

// sameInstant compares times at the millisecond: sources and stores keep
// different precisions.
func sameInstant(a, b time.Time) bool {
	return a.Sub(b).Abs() < time.Millisecond
}

// record writes the outcome. Evaluations of one ticket may race (a webhook
// and a poll); the ticket's Updated time orders them so an older read never
// overwrites a newer verdict.
func (p *Pipeline) record(ctx context.Context, t bridge.Ticket, d policy.Decision, approvals []policy.Approval, a EvaluateArgs, pol *policy.Policy, now time.Time) error {
	ref := bridge.Ref{Source: t.Source, Key: t.Key}
	digest := verdictDigest(d)
	requester, subject := p.snapshot(ctx, t.Requester), (*policy.Person)(nil)
	if subj := d.Classification.Entitlement.Subject; subj != "" && subj != t.Requester {
		subject = p.snapshot(ctx, subj) // looked up before the transaction: a directory may be remote
	}
	st := p.cfg.Store
	return st.InTx(ctx, func(tx *sql.Tx) error {
		prev, found, err := st.Ticket(ctx, tx, ref)
		if err != nil {
			return err
		}
		if found && !t.Updated.IsZero() && t.Updated.Before(prev.UpdatedAt) {
			return nil // a newer read already decided
		}
		revert := revertFor(pol, t, prev, found, d, a)
		next := nextState(pol, t, d, prev, found, digest, now)
		changed := !found || prev.Digest != digest
		_, refusals := bridge.ApprovalsFromComments(t)
		replies, err := p.pendingReplies(ctx, tx, ref, refusals)
		if err != nil {
			return err
		}
		if !changed && revert == nil && len(replies) == 0 {
			return st.PutTicket(ctx, tx, next)
		}
		recordIt := changed || revert != nil
		ev := p.evidence(t, d, approvals, digest, a, now)
		ev.Requester, ev.Subject = requester, subject
		var actions []bridge.Action
		if recordIt && identityRelevant(d, prev, found) {
			actions = p.verdictActions(t, d, ev, revert, pol, prev.Verdict)
		}
		actions = append(actions, replies...)
		if len(actions) > 0 && pol.Mode() != policy.ModeDryRun {
			if _, err := p.river.InsertTx(ctx, tx, ApplyArgs{Ticket: ref, Key: ref.String(), Digest: actionsDigest(digest, actions), Actions: actions}, nil); err != nil {
				return err
			}
		}
		if recordIt {
			if err := p.maybeGrant(ctx, tx, t, d, now); err != nil {
				return err
			}
			if err := p.audit(ctx, tx, auditKind(revert), ref, now, ev); err != nil {
				return err
			}
		}
		return st.PutTicket(ctx, tx, next)
	})
}

// identityRelevant: a ticket that never had identity impact gets no
// comment or label; one that lost it gets its verdict updated.
func identityRelevant(d policy.Decision, prev store.TicketState, found bool) bool {
	if d.Verdict != policy.NotApplicable {
		return true
	}
	return found && prev.Verdict != "" && prev.Verdict != string(policy.NotApplicable)
}

func auditKind(revert *bridge.Transition) string {
	if revert != nil {
		return "violation"
	}
	return "verdict"
}

// pendingReplies answers refused `/approve` comments once each.
func (p *Pipeline) pendingReplies(ctx context.Context, tx *sql.Tx, ref bridge.Ref, refusals []bridge.Refusal) ([]bridge.Action, error) {
	var out []bridge.Action
	for _, r := range refusals {
		a := bridge.Action{Kind: bridge.ActionReply, Ticket: ref, Digest: "refusal-" + r.Comment.ID,
			Body: fmt.Sprintf("The %s in comment %s was not counted: %s. Approvals count only from people the directory can verify.", commandWord(r.Comment.Body), r.Comment.ID, r.Reason)}
		done, err := p.cfg.Store.ActionDone(ctx, tx, a.IdempotencyKey())
		if err != nil {
			return nil, err
		}
		if !done {
			out = append(out, a)
		}
	}
	return out, nil
}

func commandWord(body string) string {
	if d, _, _ := bridge.ParseApprovalCommand(body); d == policy.Deny {
		return "/deny"
	}
	return "/approve"
}

func (p *Pipeline) maybeGrant(ctx context.Context, tx *sql.Tx, t bridge.Ticket, d policy.Decision, now time.Time) error {
	if d.Verdict != policy.Allowed || d.GrantUntil.IsZero() {
		return nil
	}
	e := d.Classification.Entitlement
	subject := e.Subject
	if subject == "" {
		subject = t.Requester
	}
	_, err := p.cfg.Store.PutGrant(ctx, tx, bridge.Grant{
		Ticket: bridge.Ref{Source: t.Source, Key: t.Key}, Subject: subject, Entitlement: e,
		GrantedAt: now, ExpiresAt: d.GrantUntil,
	})
	return err
}

func (p *Pipeline) closeTicket(ctx context.Context, ref bridge.Ref) error {
	st := p.cfg.Store
	return st.InTx(ctx, func(tx *sql.Tx) error {
		prev, found, err := st.Ticket(ctx, tx, ref)
		if err != nil || !found {
			return err
		}
		prev.Open = false
		return st.PutTicket(ctx, tx, prev)
	})
}

// dirView adapts the context-aware directory to the policy's pure view.
type dirView struct {
	ctx context.Context
	dir bridge.Directory
}

func (v dirView) Person(email string) (policy.Person, bool, error) {
	p, err := v.dir.Lookup(v.ctx, email)
	if errors.Is(err, bridge.ErrNotFound) {
		return policy.Person{}, false, nil
	}
	if err != nil {
		return policy.Person{}, false, err
	}
	return p, true, nil
}
