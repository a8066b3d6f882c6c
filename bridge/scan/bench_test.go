package scan

import (
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/accessbridge/accessbridge/policy"
)

const benchTickets = 100_000

// BenchmarkScan streams 100,000 generated tickets through a Scanner with
// the example policy, one ticket alive at a time, and reports time per
// ticket and the peak heap of the whole scan.
func BenchmarkScan(b *testing.B) {
	pol := benchPolicy(b)
	dir := benchDirectory(500)
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	b.Run("sequential", func(b *testing.B) {
		benchScan(b, func(s *Scanner, next func() (policy.Ticket, bool)) {
			for t, ok := next(); ok; t, ok = next() {
				s.Add(t)
			}
		}, pol, dir, now)
	})
	b.Run("parallel", func(b *testing.B) {
		workers := runtime.GOMAXPROCS(0)
		benchScan(b, func(s *Scanner, next func() (policy.Ticket, bool)) {
			batch := make([]policy.Ticket, 0, 256)
			for t, ok := next(); ok; t, ok = next() {
				if batch = append(batch, t); len(batch) == cap(batch) {
					s.AddBatch(batch, nil, workers)
					batch = batch[:0]
				}
			}
			s.AddBatch(batch, nil, workers)
		}, pol, dir, now)
	})
}

// benchScan runs feed over a fresh Scanner per iteration; next generates
// the tickets one by one and samples the heap every 10,000.
func benchScan(b *testing.B, feed func(*Scanner, func() (policy.Ticket, bool)), pol Policy, dir policy.Directory, now time.Time) {
	b.ReportAllocs()
	var peak uint64
	var violations int
	for b.Loop() {
		runtime.GC()
		s := New(pol, dir, now)
		i := 0
		feed(s, func() (policy.Ticket, bool) {
			if i == benchTickets {
				return policy.Ticket{}, false
			}
			if i%10_000 == 0 {
				peak = max(peak, heapInUse())
			}
			i++
			return benchTicket(i-1, now), true
		})
		violations = s.Report().Totals.Violations
		peak = max(peak, heapInUse())
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchTickets), "ns/ticket")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(violations), "violations")
}

func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// benchPolicy loads the example policy: the figure should reflect the CEL
// rules people actually run.
func benchPolicy(b *testing.B) *policy.Policy {
	b.Helper()
	const path = "../../examples/policy.yaml"
	if _, err := os.Stat(path); err != nil {
		b.Skipf("example policy missing: %v", err)
	}
	p, err := policy.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// benchDirectory has n people: every tenth a manager of the next nine,
// every 25th in security, every 40th a leaver, every 30th a contractor
// whose contract ended, and service accounts owned by people.
func benchDirectory(n int) mapDir {
	m := mapDir{}
	for i := range n {
		p := policy.Person{
			Email: benchEmail(i), Active: true, EmploymentType: "employee",
			Manager: benchEmail(i / 10 * 10), StartDate: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC),
		}
		if i%10 == 0 {
			p.Manager = ""
		}
		if i%25 == 0 {
			p.Groups = append(p.Groups, "security")
		}
		if i%40 == 7 {
			p.Active, p.EndDate = false, time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
		}
		if i%30 == 11 {
			p.EmploymentType, p.EndDate = "contractor", time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC)
		}
		m[p.Email] = p
	}
	for i := range n / 10 {
		svc := policy.Person{Email: fmt.Sprintf("svc-app%d@example.com", i), Active: true, EmploymentType: "service_account",
			Owner: benchEmail(i*10 + 1), Purpose: "batch job", Rotation: 90 * 24 * time.Hour}
		m[svc.Email] = svc
	}
	return m
}

func benchEmail(i int) string { return fmt.Sprintf("user%d@example.com", i) }

var benchSummaries = []struct{ summary, desc string }{
	{"Need read access to prod-db", "investigating slow invoice queries"},
	{"Need admin on aws-prod for 4h", "failover drill, change CHG-1"},
	{"Password reset please", "locked out after holiday"},
	{"Rotate the API key of svc-app3", "service account key expires"},
	{"Printer on floor 3 is jammed", "paper stuck again"},
	{"Add me to the github org as member", "new team"},
	{"Please revoke salesforce access for my report", "last day friday"},
	{"MFA reset, lost my phone", "new phone"},
}

var benchStatuses = []string{"Done", "Done", "Open", "Approved", "In Progress", "Waiting for approval", "Declined", "Done"}

// benchTicket builds ticket i on the fly: nothing of it outlives Add.
func benchTicket(i int, now time.Time) policy.Ticket {
	s := benchSummaries[i%len(benchSummaries)]
	req := (i*7 + 3) % 500
	created := now.Add(-time.Duration(i%2000) * time.Hour)
	t := policy.Ticket{
		Source: "jira", Key: fmt.Sprintf("ACC-%d", i+1), Type: "Access Request",
		Status: benchStatuses[(i/3)%len(benchStatuses)], Summary: s.summary, Description: s.desc,
		Requester: benchEmail(req), Created: created, Updated: created.Add(6 * time.Hour),
	}
	at := created.Add(time.Hour)
	switch i % 5 {
	case 0: // manager approves
		t.Comments = append(t.Comments, policy.Comment{Author: benchEmail(req / 10 * 10), Body: "/approve", Created: at})
	case 1: // manager and security
		t.Comments = append(t.Comments,
			policy.Comment{Author: benchEmail(req / 10 * 10), Body: "/approve", Created: at},
			policy.Comment{Author: benchEmail(25), Body: "/approve", Created: at})
	case 2: // self-approval and a colleague
		t.Comments = append(t.Comments,
			policy.Comment{Author: t.Requester, Body: "/approve", Created: at},
			policy.Comment{Author: benchEmail((req + 1) % 500), Body: "/approve looks fine", Created: at})
	case 3: // a discussion without approvals
		t.Comments = append(t.Comments, policy.Comment{Author: benchEmail(req), Body: "any update?", Created: at})
	}
	return t
}
