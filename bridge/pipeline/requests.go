package pipeline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/store"
	"github.com/accessbridge/accessbridge/policy"
)

// Submit files an access request made outside the ticketing tool as a
// ticket in source and enqueues its evaluation. Extra["idempotency_key"]
// makes a retried submission return the ticket filed the first time.
func (p *Pipeline) Submit(ctx context.Context, source string, req bridge.Request) (bridge.Ticket, error) {
	src, err := p.source(source)
	if err != nil {
		return bridge.Ticket{}, err
	}
	creator, ok := src.(bridge.Creator)
	if !ok {
		return bridge.Ticket{}, fmt.Errorf("source %s cannot create tickets: %w", source, bridge.ErrPermanent)
	}
	idem := "submit|" + source + "|" + req.Extra["idempotency_key"]
	if key := req.Extra["idempotency_key"]; key != "" {
		if prev, found, err := p.cfg.Store.ActionResult(ctx, idem); err != nil {
			return bridge.Ticket{}, err
		} else if found {
			return src.Fetch(ctx, prev.ID)
		}
	}
	t, err := creator.Create(ctx, req)
	if err != nil {
		return bridge.Ticket{}, err
	}
	ref := bridge.Ref{Source: source, Key: t.Key}
	err = p.cfg.Store.InTx(ctx, func(tx *sql.Tx) error {
		if req.Extra["idempotency_key"] != "" {
			a := bridge.Action{Kind: "submit", Ticket: ref}
			if err := p.cfg.Store.MarkAction(ctx, tx, idem, a, bridge.ActionResult{ID: t.Key}); err != nil {
				return err
			}
		}
		if err := p.cfg.Store.PutRequest(ctx, tx, ref, req); err != nil {
			return err
		}
		if err := p.audit(ctx, tx, "request", ref, p.cfg.Now(), req); err != nil {
			return err
		}
		_, err := p.river.InsertTx(ctx, tx, EvaluateArgs{Source: source, Key: t.Key, Revision: "created", Trigger: "request:" + req.Channel}, nil)
		return err
	})
	return t, err
}

// Approve records an approval given outside the ticket (a Slack click),
// bound to the request as the bridge last evaluated it, mirrors it to the
// ticket as a comment and re-evaluates. A repeated approval records
// nothing new.
func (p *Pipeline) Approve(ctx context.Context, ref bridge.Ref, a policy.Approval) (added bool, err error) {
	st := p.cfg.Store
	view, err := p.View(ctx, ref)
	if err != nil {
		return false, err
	}
	if a.Digest == "" {
		a.Digest = view.Decision.Classification.Entitlement.Digest()
	}
	err = st.InTx(ctx, func(tx *sql.Tx) error {
		added, err = st.AddApproval(ctx, tx, ref, a)
		if err != nil || !added {
			return err
		}
		if err := p.audit(ctx, tx, "approval", ref, p.cfg.Now(), a); err != nil {
			return err
		}
		word := "approved"
		if a.Denies() {
			word = "denied"
		}
		body := fmt.Sprintf("%s in %s by %s (verified as %s)", word, a.Channel, firstNonEmpty(a.SourceUser, a.By), a.By)
		if a.Reason != "" {
			body += ": " + a.Reason
		}
		mirror := bridge.Action{Kind: bridge.ActionReply, Ticket: ref, Digest: "approval-" + a.Channel + "-" + a.By + "-" + a.Decision + "-" + a.Digest, Body: body}
		if _, err := p.river.InsertTx(ctx, tx, ApplyArgs{Ticket: ref, Key: ref.String(), Digest: mirror.Digest, Actions: []bridge.Action{mirror}}, nil); err != nil {
			return err
		}
		_, err = p.river.InsertTx(ctx, tx, EvaluateArgs{Source: ref.Source, Key: ref.Key, Revision: mirror.Digest, Trigger: "approval"}, nil)
		return err
	})
	return added, err
}

// Record appends an audit record about ref (a refused request, a reminder).
func (p *Pipeline) Record(ctx context.Context, kind string, ref bridge.Ref, data any) error {
	return p.cfg.Store.InTx(ctx, func(tx *sql.Tx) error {
		return p.audit(ctx, tx, kind, ref, p.cfg.Now(), data)
	})
}

// View is a ticket as the bridge last decided it.
type View struct {
	State     store.TicketState
	Decision  policy.Decision
	Approvals []policy.Approval
}

// View returns ref's last recorded state and decision.
func (p *Pipeline) View(ctx context.Context, ref bridge.Ref) (View, error) {
	st, found, err := p.cfg.Store.Ticket(ctx, p.cfg.Store.ReadDB(), ref)
	if err != nil {
		return View{}, err
	}
	if !found {
		return View{}, fmt.Errorf("%s: %w", ref, bridge.ErrNotFound)
	}
	v := View{State: st}
	if err := jsonUnmarshal(st.Decision, &v.Decision); err != nil {
		return View{}, err
	}
	v.Approvals, err = p.cfg.Store.Approvals(ctx, p.cfg.Store.ReadDB(), ref)
	return v, err
}

// Requests lists a requester's open tickets as last decided.
func (p *Pipeline) Requests(ctx context.Context, requester string) ([]View, error) {
	states, err := p.cfg.Store.TicketsByRequester(ctx, requester, true)
	if err != nil {
		return nil, err
	}
	out := make([]View, 0, len(states))
	for _, s := range states {
		v := View{State: s}
		if err := jsonUnmarshal(s.Decision, &v.Decision); err != nil {
			return nil, errors.Join(err, fmt.Errorf("ticket %s:%s", s.Source, s.Key))
		}
		out = append(out, v)
	}
	return out, nil
}

// verifiedRequester puts back who asked for a ticket the bridge filed
// itself: the person the bridge verified (in Slack) is the requester, not
// the ticket's reporter, which may be the bridge's own account.
func (p *Pipeline) verifiedRequester(ctx context.Context, t *bridge.Ticket) error {
	r, found, err := p.cfg.Store.Request(ctx, bridge.Ref{Source: t.Source, Key: t.Key})
	if err != nil || !found {
		return err
	}
	t.Requester = r.Requester
	if t.Subject == "" {
		t.Subject = r.Subject
	}
	return nil
}
