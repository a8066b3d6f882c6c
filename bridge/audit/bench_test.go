package audit_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/audit"
	"github.com/accessbridge/accessbridge/bridge/store"
	"github.com/accessbridge/accessbridge/bridge/store/storetest"
)

var benchData = map[string]any{"verdict": "pending", "missing": []string{"manager", "group:security"}, "policy_digest": "sha256:0123456789abcdef"}

// BenchmarkAppend: one record per transaction, as the pipeline appends.
func BenchmarkAppend(b *testing.B) {
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			st := be.Open(b)
			benchAppend(b, st, audit.New(st, testKey(b, 1)), false)
		})
		b.Run(be.Name+"/parallel", func(b *testing.B) {
			st := be.Open(b)
			benchAppend(b, st, audit.New(st, testKey(b, 1)), true)
		})
	}
}

func benchAppend(b *testing.B, st *store.Store, l *audit.Log, parallel bool) {
	ctx := context.Background()
	ref := bridge.Ref{Source: "jira", Key: "IT-1"}
	one := func() {
		err := st.InTx(ctx, func(tx *sql.Tx) error {
			_, err := l.Append(ctx, tx, audit.KindVerdict, ref, t0, benchData)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	if parallel {
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				one()
			}
		})
	} else {
		for b.Loop() {
			one()
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkVerify streams the chain.
func BenchmarkVerify(b *testing.B) {
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			st := be.Open(b)
			key := testKey(b, 1)
			appendN(b, st, audit.New(st, key), 2000)
			pub := key.Public().(ed25519PublicKey)
			for b.Loop() {
				if _, err := audit.Verify(context.Background(), st, pub); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(2000*b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
