package pipeline

import (
	"context"
	"database/sql"
	"errors"

	"github.com/riverqueue/river"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/store"
)

// groupCommit persists webhook deliveries in batches: whatever arrived
// while the previous transaction committed goes into the next one. An idle
// bridge commits each delivery at once; a busy one amortizes a commit and
// River's insert over many, which is what keeps acknowledgements fast
// under load on SQLite's single writer. Nothing is acknowledged before its
// transaction commits.
type groupCommit struct {
	p    *Pipeline
	reqs chan *ingestReq
	stop chan struct{}
}

type ingestReq struct {
	d      store.Delivery
	events []bridge.Event
	done   chan ingestResult
}

type ingestResult struct {
	fresh  bool
	events int
	err    error
}

const maxBatch = 256

func newGroupCommit(p *Pipeline) *groupCommit {
	g := &groupCommit{p: p, reqs: make(chan *ingestReq, maxBatch), stop: make(chan struct{})}
	go g.run()
	return g
}

// commit queues r and waits for its transaction.
func (g *groupCommit) commit(ctx context.Context, r *ingestReq) ingestResult {
	r.done = make(chan ingestResult, 1)
	select {
	case g.reqs <- r:
	case <-ctx.Done():
		return ingestResult{err: ctx.Err()}
	case <-g.stop:
		return ingestResult{err: errStopped}
	}
	select {
	case res := <-r.done:
		return res
	case <-ctx.Done():
		return ingestResult{err: ctx.Err()} // it may still commit; the sender's retry is then a duplicate
	}
}

func (g *groupCommit) run() {
	for {
		var first *ingestReq
		select {
		case first = <-g.reqs:
		case <-g.stop:
			return
		}
		batch := []*ingestReq{first}
	drain:
		for len(batch) < maxBatch {
			select {
			case r := <-g.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		g.write(batch)
	}
}

func (g *groupCommit) write(batch []*ingestReq) {
	ctx := context.Background()
	results := make([]ingestResult, len(batch))
	st := g.p.cfg.Store
	err := st.InTx(ctx, func(tx *sql.Tx) error {
		ds := make([]store.Delivery, len(batch))
		for i, r := range batch {
			ds[i] = r.d
		}
		fresh, err := st.InsertAccepted(ctx, tx, ds)
		if err != nil {
			return err
		}
		var params []river.InsertManyParams
		for i, r := range batch {
			results[i] = ingestResult{fresh: fresh[i]}
			if fresh[i] {
				evs := evaluations(r.events)
				results[i].events = len(evs)
				params = append(params, evs...)
			}
		}
		if len(params) == 0 {
			return nil
		}
		_, err = g.p.river.InsertManyTx(ctx, tx, params)
		return err
	})
	for i, r := range batch {
		if err != nil {
			results[i] = ingestResult{err: err}
		}
		r.done <- results[i]
	}
}

func (g *groupCommit) close() { close(g.stop) }

var errStopped = errors.New("the pipeline is stopping")
