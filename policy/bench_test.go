package policy

import (
	"os"
	"testing"
)

// BenchmarkEvaluate is one realistic privileged request against the
// example policy: classification, extraction, eligibility, approvals and
// the explanation tree.
func BenchmarkEvaluate(b *testing.B) {
	p, err := Load("../examples/policy.yaml", "../examples/policy_test.yaml")
	if err != nil {
		b.Fatal(err)
	}
	var people []Person
	for _, tc := range p.Tests() {
		people = tc.People
		break
	}
	d := NewStaticDirectory(people...)
	t := Ticket{
		Source: "jira", Key: "IT-4821", Project: "IT", Type: "Access Request", Status: "Waiting for approval",
		Summary:     "can i get write access to the prod db for 3 days?",
		Description: "hey, fixing the billing migration (rows stuck in pending since tuesday). need write on proddb, will only touch the billing schema. thx!",
		Requester:   "bob.smith@example.com", Priority: "Medium", Labels: []string{"access-request"},
	}
	approvals := []Approval{approve("maria.lopez@example.com"), approve("li.wei@example.com")}
	if v := p.Evaluate(t, d, approvals, now).Verdict; v != Pending {
		b.Fatalf("verdict %s, want pending", v)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p.Evaluate(t, d, approvals, now)
	}
}

// BenchmarkEvaluateNotIdentity is the common case for a helpdesk: a
// ticket that is no identity change runs every classify rule and the
// extraction, and stops there.
func BenchmarkEvaluateNotIdentity(b *testing.B) {
	p, err := Load("../examples/policy.yaml", "../examples/policy_test.yaml")
	if err != nil {
		b.Fatal(err)
	}
	d := NewStaticDirectory(p.Tests()[0].People...)
	t := Ticket{
		Source: "jira", Key: "IT-4822", Project: "IT", Type: "Incident", Status: "Open",
		Summary:     "Laptop fan very loud and battery drains since the last update",
		Description: "Since Tuesday's OS update my MacBook gets hot in meetings, the fan spins all the time and the battery is empty after two hours. Already rebooted twice and closed Chrome. Could someone from IT have a look this week? I'm in the Berlin office on the 3rd floor.",
		Requester:   "alice.nguyen@example.com", Priority: "Low",
	}
	if v := p.Evaluate(t, d, nil, now).Verdict; v != NotApplicable {
		b.Fatalf("verdict %s, want not_applicable", v)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p.Evaluate(t, d, nil, now)
	}
}

func BenchmarkClassify(b *testing.B) {
	p, err := Load("../examples/policy.yaml")
	if err != nil {
		b.Fatal(err)
	}
	t := Ticket{Summary: "laptop super slow since the update", Description: "fans going crazy, can someone look", Requester: "alice.nguyen@example.com"}
	b.ReportAllocs()
	for b.Loop() {
		p.Classify(t)
	}
}

func FuzzParse(f *testing.F) {
	// Small seeds keep each execution fast; the full example policy is
	// covered by TestExamplePolicy.
	if data, err := os.ReadFile("../examples/policy_test.yaml"); err == nil {
		f.Add(data[:min(len(data), 2000)])
	}
	f.Add([]byte("version: 1\nclassify:\n  - {name: a, when: \"ticket.text.matches('(?i)admin')\", category: privileged_access, impact: high}\n"))
	f.Add([]byte("version: 1\nresources: [{name: db, roles: [read], owners: [a@example.com], max_duration: 8h}]\neligibility: [{name: e, require: requester.active}]\n"))
	f.Add([]byte("version: 1\napprovals: [{name: a, require: [{from: manager, count: 2}]}]\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yaml", data)
		if (p == nil) == (err == nil) {
			t.Fatalf("Parse returned policy %v and error %v", p != nil, err)
		}
		if p != nil {
			p.Evaluate(Ticket{Summary: string(data[:min(len(data), 64)]), Requester: "a@example.com"}, NewStaticDirectory(), nil, now)
			RunTests(p)
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"8h", "90m", "7d", "2w", "3 days", "1 week", "12 hours", "a day", "1.5d", "1d 12h", "-1h", "1e400 days"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err == nil && (d < 0 || d > maxDuration) {
			t.Fatalf("ParseDuration(%q) = %v, out of range", s, d)
		}
	})
}
