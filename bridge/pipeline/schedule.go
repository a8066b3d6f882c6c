package pipeline

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/store"
	"github.com/accessbridge/accessbridge/policy"
)

// poll asks a source for changes since its cursor; events and the new
// cursor are written in one transaction, so a crash re-polls, never skips.
func (p *Pipeline) poll(ctx context.Context, source string) error {
	src, err := p.source(source)
	if err != nil {
		return fmt.Errorf("poll: %w", bridge.ErrPermanent)
	}
	cursor, err := p.cfg.Store.Cursor(ctx, source)
	if err != nil {
		return err
	}
	events, next, err := src.Poll(ctx, cursor)
	if err != nil {
		p.metrics.upstreamError(source, "poll", err)
		return err
	}
	st := p.cfg.Store
	return st.InTx(ctx, func(tx *sql.Tx) error {
		var fresh []bridge.Event
		for _, e := range events {
			ok, err := st.InsertDelivery(ctx, tx, store.Delivery{Source: source, DeliveryID: e.DeliveryID, Status: store.DeliveryAccepted, Remote: "poll"})
			if err != nil {
				return err
			}
			if ok {
				fresh = append(fresh, e)
			}
		}
		if _, err := p.enqueue(ctx, tx, fresh); err != nil {
			return err
		}
		return st.SetCursor(ctx, tx, source, next)
	})
}

// reconcile re-evaluates open tickets that carry a verdict, in pages.
func (p *Pipeline) reconcile(ctx context.Context) error {
	bucket := strconv.FormatInt(p.cfg.Now().Unix()/60, 10)
	return p.eachOpenTicket(ctx, func(t store.TicketState) error {
		if t.Verdict == string(policy.NotApplicable) {
			return nil
		}
		_, err := p.river.Insert(ctx, EvaluateArgs{Source: t.Source, Key: t.Key, Revision: "reconcile:" + bucket, Trigger: "reconcile"}, nil)
		return err
	})
}

// eachOpenTicket calls fn for every open ticket of every source, paging
// through the store so memory does not grow with the backlog.
func (p *Pipeline) eachOpenTicket(ctx context.Context, fn func(store.TicketState) error) error {
	const page = 500
	for name := range p.cfg.Sources {
		after := bridge.Ref{Source: name}
		for {
			tickets, err := p.cfg.Store.OpenTickets(ctx, name, after, page)
			if err != nil {
				return err
			}
			for _, t := range tickets {
				if err := fn(t); err != nil {
					return err
				}
			}
			if len(tickets) < page {
				break
			}
			after = bridge.Ref{Source: name, Key: tickets[len(tickets)-1].Key}
		}
	}
	return nil
}

// expire ends time-bound grants that are due: the expiry is recorded, the
// ticket is told the access must be removed, the requester is notified.
func (p *Pipeline) expire(ctx context.Context) error {
	now := p.cfg.Now()
	grants, err := p.cfg.Store.DueGrants(ctx, now, 200)
	if err != nil {
		return err
	}
	st := p.cfg.Store
	for _, g := range grants {
		err := st.InTx(ctx, func(tx *sql.Tx) error {
			if err := st.RevokeGrant(ctx, tx, g.ID, now); err != nil {
				return err
			}
			if err := p.audit(ctx, tx, "grant_expired", g.Ticket, now, g); err != nil {
				return err
			}
			a := bridge.Action{Kind: bridge.ActionReply, Ticket: g.Ticket, Digest: "expiry-" + strconv.FormatInt(g.ID, 10),
				Body: fmt.Sprintf("Time-bound access of %s to %s expired at %s: remove it now.", g.Subject, describeEntitlement(g.Entitlement), g.ExpiresAt.UTC().Format(time.RFC3339))}
			_, err := p.river.InsertTx(ctx, tx, ApplyArgs{Ticket: g.Ticket, Key: g.Ticket.String(), Digest: a.Digest, Actions: []bridge.Action{a}}, nil)
			return err
		})
		if err != nil {
			return err
		}
		if p.cfg.Notifier != nil {
			if err := p.cfg.Notifier.NotifyExpiry(ctx, g); err != nil {
				p.log.Warn("expiry notification failed", "ticket", g.Ticket.String(), "err", err)
			}
		}
	}
	return nil
}

func describeEntitlement(e bridge.Entitlement) string {
	s := e.Resource
	if e.Role != "" {
		s += " (" + e.Role + ")"
	}
	return s
}

// remind asks the notifier to remind approvers of pending tickets.
func (p *Pipeline) remind(ctx context.Context) error {
	if p.cfg.Notifier == nil {
		return nil
	}
	return p.eachOpenTicket(ctx, func(t store.TicketState) error {
		if t.Verdict != string(policy.Pending) {
			return nil
		}
		if err := p.cfg.Notifier.Remind(ctx, t.Ref()); err != nil {
			p.log.Warn("reminder failed", "ticket", t.Ref().String(), "err", err)
		}
		return nil
	})
}
