package audit_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/accessbridge/accessbridge/bridge/audit"
	"github.com/accessbridge/accessbridge/bridge/store"
	"github.com/accessbridge/accessbridge/bridge/store/storetest"
)

func TestExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		recs := appendN(t, st, audit.New(st, testKey(t, 1)), 5) // at t0, t0+1m, … t0+4m
		tests := []struct {
			name         string
			since, until time.Time
			wantSeqs     []int64
		}{
			{"all", time.Time{}, time.Time{}, []int64{1, 2, 3, 4, 5}},
			{"since", t0.Add(2 * time.Minute), time.Time{}, []int64{3, 4, 5}},
			{"until is exclusive", time.Time{}, t0.Add(2 * time.Minute), []int64{1, 2}},
			{"window", t0.Add(time.Minute), t0.Add(3 * time.Minute), []int64{2, 3}},
			{"empty", t0.Add(time.Hour), time.Time{}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name+"/jsonl", func(t *testing.T) {
				var buf bytes.Buffer
				if err := audit.Export(ctx, st, tt.since, tt.until, "jsonl", &buf); err != nil {
					t.Fatal(err)
				}
				var got []int64
				sc := bufio.NewScanner(&buf)
				for sc.Scan() {
					var r audit.Record
					if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
						t.Fatalf("line %q: %v", sc.Text(), err)
					}
					want := recs[r.Seq-1]
					if r.Hash != want.Hash || r.Sig != want.Sig || string(r.Data) != string(want.Data) || audit.Hash(r) != r.Hash {
						t.Fatalf("exported record %d differs: %+v", r.Seq, r)
					}
					got = append(got, r.Seq)
				}
				assertSeqs(t, got, tt.wantSeqs)
			})
			t.Run(tt.name+"/csv", func(t *testing.T) {
				var buf bytes.Buffer
				if err := audit.Export(ctx, st, tt.since, tt.until, "csv", &buf); err != nil {
					t.Fatal(err)
				}
				rows, err := csv.NewReader(&buf).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				if h := rows[0]; len(h) != 8 || h[0] != "seq" || h[5] != "hash" || h[7] != "data" {
					t.Fatalf("header = %v", h)
				}
				var got []int64
				for _, row := range rows[1:] {
					seq, _ := strconv.ParseInt(row[0], 10, 64)
					want := recs[seq-1]
					if row[1] != want.At.Format(time.RFC3339Nano) || row[3] != "jira" || row[5] != want.Hash || row[6] != want.PrevHash || row[7] != string(want.Data) {
						t.Fatalf("csv row = %v, want %+v", row, want)
					}
					got = append(got, seq)
				}
				assertSeqs(t, got, tt.wantSeqs)
			})
		}
		if err := audit.Export(ctx, st, time.Time{}, time.Time{}, "xml", &bytes.Buffer{}); err == nil {
			t.Fatal("unknown format accepted")
		}
	})
}

func assertSeqs(t *testing.T, got, want []int64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("seqs = %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("seqs = %v, want %v", got, want)
		}
	}
}
