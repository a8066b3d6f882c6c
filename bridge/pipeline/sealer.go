package pipeline

import (
	"context"
	"database/sql"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
)

// sealBatch bounds one sealing transaction.
const sealBatch = 500

// audit queues a record in tx and, once tx has had a chance to commit,
// wakes the sealer that chains it. Writers never take the chain's head
// lock themselves: on PostgreSQL every replica would otherwise queue on it
// one commit at a time.
func (p *Pipeline) audit(ctx context.Context, tx *sql.Tx, kind string, ref bridge.Ref, at time.Time, data any) error {
	if err := p.cfg.Audit.Enqueue(ctx, tx, kind, ref, at, data); err != nil {
		return err
	}
	p.kickSeal()
	return nil
}

func (p *Pipeline) kickSeal() {
	select {
	case p.sealKick <- struct{}{}:
	default:
	}
}

// seal chains pending audit records whenever kicked, and every second in
// case a kick came before its transaction committed (or in another
// replica). It returns when ctx ends, after a last pass.
func (p *Pipeline) seal(ctx context.Context) {
	defer close(p.sealDone)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			p.sealAll(context.Background())
			return
		case <-p.sealKick:
		case <-tick.C:
		}
		p.sealAll(ctx)
	}
}

func (p *Pipeline) sealAll(ctx context.Context) {
	for {
		n, err := p.cfg.Audit.Seal(ctx, sealBatch)
		if err != nil {
			if ctx.Err() == nil {
				p.log.Error("sealing audit records failed; they stay queued", "err", err)
			}
			return
		}
		if n < sealBatch {
			return
		}
	}
}
