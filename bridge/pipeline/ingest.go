package pipeline

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/http"

	"github.com/riverqueue/river"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/store"
)

// Outcome of one webhook delivery, with the HTTP status to answer.
type Outcome struct {
	Status   int    `json:"-"`
	Result   string `json:"result"` // accepted, duplicate, ignored, rejected
	Reason   string `json:"reason,omitempty"`
	Events   int    `json:"events,omitempty"`
	Delivery string `json:"delivery,omitempty"`
}

// Ingest authenticates and parses a delivery, then persists it together with
// the evaluation jobs it triggers before anything is acknowledged. Every
// delivery is recorded, accepted or not, so bad input loses nothing.
func (p *Pipeline) Ingest(ctx context.Context, source string, r *http.Request, body []byte) Outcome {
	remote := r.RemoteAddr
	src, err := p.source(source)
	if err != nil {
		return p.reject(ctx, source, "", http.StatusNotFound, "unknown source", body, remote)
	}
	events, err := src.Webhook(r, body)
	switch {
	case errors.Is(err, bridge.ErrUnauthorized):
		return p.reject(ctx, source, "", http.StatusUnauthorized, "bad signature", body, remote)
	case errors.Is(err, bridge.ErrIgnored):
		o := p.reject(ctx, source, "", http.StatusAccepted, err.Error(), body, remote)
		o.Result = store.DeliveryIgnored
		return o
	case err != nil:
		return p.reject(ctx, source, "", http.StatusBadRequest, "malformed: "+err.Error(), body, remote)
	}
	id := deliveryID(events, body)
	res := p.batch.commit(ctx, &ingestReq{d: store.Delivery{Source: source, DeliveryID: id, Status: store.DeliveryAccepted, Remote: remote}, events: events})
	if res.err != nil {
		p.log.Error("ingest failed", "source", source, "delivery", id, "err", res.err)
		return Outcome{Status: http.StatusServiceUnavailable, Result: "error", Reason: "could not persist the delivery; retry"}
	}
	out := Outcome{Status: http.StatusAccepted, Result: store.DeliveryAccepted, Delivery: id, Events: res.events}
	if !res.fresh {
		out.Status, out.Result = http.StatusOK, store.DeliveryDuplicate
	}
	p.metrics.delivery(source, out.Result)
	return out
}

// enqueue inserts an evaluation for each event the bridge did not cause.
func (p *Pipeline) enqueue(ctx context.Context, tx *sql.Tx, events []bridge.Event) (int, error) {
	params := evaluations(events)
	if len(params) == 0 {
		return 0, nil
	}
	_, err := p.river.InsertManyTx(ctx, tx, params)
	return len(params), err
}

func evaluations(events []bridge.Event) []river.InsertManyParams {
	var out []river.InsertManyParams
	for _, e := range events {
		if e.ByBridge {
			continue // its own comment, label or revert: nothing to decide
		}
		rev := e.Revision
		if rev == "" {
			rev = e.DeliveryID
		}
		out = append(out, river.InsertManyParams{Args: EvaluateArgs{Source: e.Source, Key: e.Key, Revision: rev, Trigger: e.DeliveryID, Actor: e.Actor, Transition: e.Transition}})
	}
	return out
}

// Reject records a delivery refused before parsing (too large, unreadable).
func (p *Pipeline) Reject(ctx context.Context, source string, status int, reason string, body []byte, remote string) Outcome {
	return p.reject(ctx, source, "", status, reason, body, remote)
}

func (p *Pipeline) reject(ctx context.Context, source, id string, status int, reason string, body []byte, remote string) Outcome {
	d := store.Delivery{Source: source, DeliveryID: id, Status: store.DeliveryRejected, Reason: reason, Body: body, Remote: remote}
	if status == http.StatusAccepted {
		d.Status = store.DeliveryIgnored
	}
	if _, err := p.cfg.Store.InsertDelivery(ctx, p.cfg.Store.DB(), d); err != nil {
		p.log.Error("recording a rejected delivery failed", "source", source, "err", err)
	}
	p.metrics.delivery(source, d.Status)
	return Outcome{Status: status, Result: d.Status, Reason: reason}
}

func deliveryID(events []bridge.Event, body []byte) string {
	if len(events) > 0 && events[0].DeliveryID != "" {
		return events[0].DeliveryID
	}
	sum := sha256.Sum256(body)
	return "body:" + hex.EncodeToString(sum[:16])
}
