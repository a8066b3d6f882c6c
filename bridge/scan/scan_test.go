package scan

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accessbridge/accessbridge/policy"
)

var testNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func testDir() mapDir {
	return people(
		policy.Person{Email: "maria.lopez@example.com", Active: true, EmploymentType: "employee", Groups: []string{"eng-managers"}},
		policy.Person{Email: "alice.nguyen@example.com", Active: true, EmploymentType: "employee", Manager: "maria.lopez@example.com"},
		policy.Person{Email: "bob.smith@example.com", Active: true, EmploymentType: "employee", Manager: "maria.lopez@example.com"},
		policy.Person{Email: "carol.jones@example.com", Active: true, EmploymentType: "employee", Manager: "maria.lopez@example.com"},
		policy.Person{Email: "evan.wright@example.com", Active: false, EmploymentType: "employee", Manager: "maria.lopez@example.com", EndDate: date("2026-01-31")},
		policy.Person{Email: "frank.ocon@example.com", Active: true, EmploymentType: "contractor", Manager: "maria.lopez@example.com", EndDate: date("2026-01-31")},
		policy.Person{Email: "ryan.cho@example.com", Active: true, EmploymentType: "contractor", Manager: "nina.patel@example.com", EndDate: date("2026-04-30")},
		policy.Person{Email: "nina.patel@example.com", Active: true, EmploymentType: "employee"},
		policy.Person{Email: "mike.turner@example.com", Active: true, EmploymentType: "employee", Groups: []string{"it-helpdesk"}},
		policy.Person{Email: "sarah.kim@example.com", Active: true, EmploymentType: "employee", Groups: []string{"security"}},
		policy.Person{Email: "peter.novak@example.com", Active: true, EmploymentType: "employee", Manager: "henry.adams@example.com"},
		policy.Person{Email: "olivia.martin@example.com", Active: true, EmploymentType: "employee"},
		policy.Person{Email: "svc-billing@example.com", Active: true, EmploymentType: "service_account", Owner: "bob.smith@example.com"},
	)
}

func testPolicy() *fakePolicy {
	req := func(from string) []policy.RequirementGroup {
		return []policy.RequirementGroup{{Name: from, From: []string{from}, Count: 1}}
	}
	return &fakePolicy{
		gated: []string{"Approved", "In Progress", "Done"},
		rules: map[string]policy.ApprovalRule{
			"std":       {Name: "std", Require: req("manager")},
			"sec":       {Name: "sec", Require: req("group:security")},
			"res":       {Name: "res", Require: req("owner:billing")},
			"emergency": {Name: "emergency", BreakGlass: true},
		},
		res: map[string]policy.Resource{"billing": {Name: "billing", Owners: []string{"olivia.martin@example.com"}}},
	}
}

// scanFile runs the scanner over a ticket file in the bridge's format.
func scanFile(t *testing.T, path string) (Report, []Row) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	s := New(testPolicy(), testDir(), testNow)
	var rows []Row
	if err := DecodeTickets(f, func(tk policy.Ticket) error {
		rows = append(rows, s.Add(tk))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return s.Report(), rows
}

func TestReportFindsEachViolation(t *testing.T) {
	r, _ := scanFile(t, "testdata/tickets.json")
	type finding struct {
		kind Kind
		key  string
		who  string
	}
	var got []finding
	for _, v := range r.Violations {
		got = append(got, finding{v.Kind, v.Key, v.Who})
		if v.Reason == "" {
			t.Errorf("%s %s: no reason", v.Kind, v.Key)
		}
	}
	want := []finding{
		{UnapprovedChange, "IT-2", ""},
		{UnapprovedChange, "IT-4", ""},
		{UnapprovedChange, "IT-16", ""},
		{DeniedCompleted, "IT-3", ""},
		{SelfApproval, "IT-5", "alice.nguyen@example.com"},
		{SelfApproval, "IT-20", "svc-billing@example.com"},
		{IneligibleRequester, "IT-6", "evan.wright@example.com"},
		{IneligibleRequester, "IT-7", "frank.ocon@example.com"},
		{IneligibleRequester, "IT-8", "ghost@example.com"},
		{UnentitledApprover, "IT-9", "mike.turner@example.com"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("violations\n got %v\nwant %v", got, want)
	}
}

func TestReportReasons(t *testing.T) {
	r, _ := scanFile(t, "testdata/tickets.json")
	want := map[string]string{
		"IT-2":  `was completed ("Done") while still waiting on manager 0/1`,
		"IT-3":  `was completed ("Done") although denied: denied by test`,
		"IT-4":  `is in gated status "Approved" although denied`,
		"IT-6":  "requester evan.wright@example.com is a leaver (left 2026-01-31)",
		"IT-7":  "is a contractor whose end date 2026-01-31 had passed",
		"IT-8":  "is not in the directory",
		"IT-9":  "rule std accepts only manager",
		"IT-16": "could not evaluate it",
		"IT-20": "approved access for themselves",
	}
	for _, v := range r.Violations {
		if w, ok := want[v.Key]; ok && !strings.Contains(v.Reason, w) {
			t.Errorf("%s reason %q does not say %q", v.Key, v.Reason, w)
		}
	}
}

func TestReportTotalsAndLists(t *testing.T) {
	r, rows := scanFile(t, "testdata/tickets.json")
	want := Totals{
		Tickets: 20, Identity: 19, NotIdentity: 1, Completed: 12, Declined: 2, Open: 5,
		Violations: 10, TicketsWithViolations: 10, Waiting: 2, Exceptions: 1, ExceptionsOverdue: 1,
		RefusedComments: 1,
	}
	if r.Totals != want {
		t.Errorf("totals\n got %+v\nwant %+v", r.Totals, want)
	}
	var waiting []string
	for _, w := range r.Waiting {
		waiting = append(waiting, w.Key)
	}
	if !slices.Equal(waiting, []string{"IT-10", "IT-14"}) {
		t.Errorf("waiting = %v, want oldest first [IT-10 IT-14]", waiting)
	}
	if r.Waiting[0].AgeHours != 96 || r.Waiting[0].WaitingOn[0].Name != "group:security" {
		t.Errorf("waiting[0] = %+v", r.Waiting[0])
	}
	if len(r.Exceptions) != 1 || r.Exceptions[0].Key != "IT-12" || !r.Exceptions[0].Overdue {
		t.Errorf("exceptions = %+v", r.Exceptions)
	}
	if len(rows) != 20 || rows[4].Key != "IT-5" || !slices.Equal(rows[4].Violations, []Kind{SelfApproval}) {
		t.Errorf("row IT-5 = %+v", rows[4])
	}
	counts := map[string]int{}
	for _, v := range r.Verdicts {
		counts[v.Name] = v.Count
	}
	if counts["allowed"] != 11 || counts["pending"] != 5 || counts["denied"] != 2 || counts["error"] != 1 || counts["not_applicable"] != 1 {
		t.Errorf("verdicts = %v", r.Verdicts)
	}
	for _, c := range r.Categories {
		if c.Category == policy.PrivilegedAccess && (c.Total != 3 || c.ByImpact[policy.ImpactCritical].Count != 3) {
			t.Errorf("privileged_access = %+v", c)
		}
	}
}

func TestAddBatchMatchesAdd(t *testing.T) {
	want, wantRows := scanFile(t, "testdata/tickets.json")
	f, err := os.Open("testdata/tickets.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ts []policy.Ticket
	if err := DecodeTickets(f, func(tk policy.Ticket) error { ts = append(ts, tk); return nil }); err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 4, 64} {
		s := New(testPolicy(), testDir(), testNow)
		rows := make([]Row, len(ts))
		s.AddBatch(ts[:7], rows[:7], workers)
		s.AddBatch(ts[7:], rows[7:], workers)
		got := s.Report()
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		if string(gj) != string(wj) {
			t.Errorf("workers=%d: report differs from sequential Add", workers)
		}
		for i := range rows {
			if rows[i].Key != wantRows[i].Key || !slices.Equal(rows[i].Violations, wantRows[i].Violations) {
				t.Errorf("workers=%d: row %d = %+v, want %+v", workers, i, rows[i], wantRows[i])
			}
		}
	}
}

func TestScannerPassesCommentApprovals(t *testing.T) {
	pol := testPolicy()
	s := New(pol, testDir(), testNow)
	s.Add(policy.Ticket{Key: "A-1", Comments: []policy.Comment{
		{Author: "maria.lopez@example.com", Body: "/approve"},
		{Author: "sarah.kim@example.com", Body: "looks fine"},
		{Author: "", Body: "/approve"},
		{Author: "bob.smith@example.com", Body: "/deny too broad"},
	}})
	if !slices.Equal(pol.seen, []int{2}) {
		t.Errorf("Evaluate saw %v approvals, want [2] (approve + deny; unmapped refused)", pol.seen)
	}
	if got := s.Report().Totals.RefusedComments; got != 1 {
		t.Errorf("refused = %d, want 1", got)
	}
}

func TestJudgedAsOfResolution(t *testing.T) {
	at := func(s string) time.Time { tm, _ := time.Parse(time.RFC3339, s); return tm }
	tests := []struct {
		name     string
		ticket   policy.Ticket
		wantNow  time.Time
		wantSeen int
	}{
		{"resolved: resolution time, later approval left out", policy.Ticket{
			Source: "jira", Key: "R-1", Requester: "alice.nguyen@example.com", Status: "Done", Updated: at("2026-03-05T00:00:00Z"),
			Fields: map[string]string{"verdict": "pending", "category": "access_grant", "rule": "std", "missing": "manager", ResolvedField: "2026-03-02T10:00:00.000+0000"},
			Comments: []policy.Comment{
				{Author: "maria.lopez@example.com", Body: "/approve", Created: at("2026-03-01T09:00:00Z")},
				{Author: "maria.lopez@example.com", Body: "/approve", Created: at("2026-03-03T09:00:00Z")},
			},
		}, at("2026-03-02T10:00:00Z"), 1},
		{"gated, unresolved: last update", policy.Ticket{Key: "R-2", Status: "In Progress", Updated: at("2026-04-01T00:00:00Z")}, at("2026-04-01T00:00:00Z"), 0},
		{"open: now", policy.Ticket{Key: "R-3", Status: "Open", Updated: at("2026-04-01T00:00:00Z")}, testNow, 0},
		{"resolved in the future: capped at now", policy.Ticket{Key: "R-4", Status: "Done", Fields: map[string]string{ResolvedField: "2027-01-01"}}, testNow, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := testPolicy()
			s := New(pol, testDir(), testNow)
			s.Add(tt.ticket)
			if !pol.nows[0].Equal(tt.wantNow) || pol.seen[0] != tt.wantSeen {
				t.Errorf("evaluated at %v with %d approvals, want %v with %d", pol.nows[0], pol.seen[0], tt.wantNow, tt.wantSeen)
			}
		})
	}
	pol := testPolicy()
	s := New(pol, testDir(), testNow)
	s.Add(tests[0].ticket)
	v := s.Report().Violations
	if len(v) != 1 || !strings.Contains(v[0].Reason, "approved only afterwards by maria.lopez@example.com at 2026-03-03T09:00:00Z") {
		t.Errorf("violations = %+v, want the late approval named", v)
	}
}

func TestStates(t *testing.T) {
	s := New(testPolicy(), testDir(), testNow)
	tests := []struct {
		status, resolution string
		want               ticketState
	}{
		{"Done", "", ticketState{done: true, gated: true}},
		{"done", "Done", ticketState{done: true, gated: true}},
		{"Closed", "Won't Do", ticketState{declined: true}},
		{"Done", "Won't Do", ticketState{declined: true}},
		{"Cancelled", "", ticketState{declined: true}},
		{"In Progress", "", ticketState{gated: true}},
		{"Open", "", ticketState{}},
		{"", "", ticketState{}},
	}
	for _, tt := range tests {
		got := s.state(policy.Ticket{Status: tt.status, Fields: map[string]string{"resolution": tt.resolution}})
		if got != tt.want {
			t.Errorf("state(%q, %q) = %+v, want %+v", tt.status, tt.resolution, got, tt.want)
		}
	}
}

func TestWriteText(t *testing.T) {
	r, _ := scanFile(t, "testdata/tickets.json")
	r.Source = "testdata/tickets.json"
	var b bytes.Buffer
	if err := WriteText(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"export  testdata/tickets.json",
		"Violations: 10 on 10 tickets",
		"Self-approvals attempted (self_approval): 2",
		"IT-9  Done",
		"Open identity tickets waiting on approvals: 2",
		"waiting on group:security 0/1",
		"Break-glass exceptions: 1 (1 review overdue)",
		"(OVERDUE)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
}

func TestWriteJSONStableSchema(t *testing.T) {
	s := New(testPolicy(), testDir(), testNow)
	var b bytes.Buffer
	if err := WriteJSON(&b, s.Report()); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["schema"] != Schema {
		t.Errorf("schema = %v", got["schema"])
	}
	for _, k := range []string{"violations", "waiting", "exceptions", "categories", "verdicts", "violations_by_kind"} {
		if _, ok := got[k].([]any); !ok {
			t.Errorf("%s = %v, want a list even when empty", k, got[k])
		}
	}
}

func TestCSVWriter(t *testing.T) {
	_, rows := scanFile(t, "testdata/tickets.json")
	var b bytes.Buffer
	w := NewCSVWriter(&b)
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	w.Write(Row{Key: "=HYPERLINK(1)", Category: policy.CategoryNone, Verdict: policy.NotApplicable})
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 22 || !slices.Equal(recs[0], CSVHeader) {
		t.Fatalf("got %d records, header %v", len(recs), recs[0])
	}
	if got := recs[2]; !slices.Equal(got, []string{"IT-2", "Done", "access_grant", "medium", "pending", "std", "manager", "unapproved_change"}) {
		t.Errorf("IT-2 row = %v", got)
	}
	if got := recs[21][0]; got != "'=HYPERLINK(1)" {
		t.Errorf("formula cell = %q, want it defused", got)
	}
}

func TestDecodeTicketsErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"object", `{"issues":[]}`, "want a JSON array"},
		{"truncated", `[{"key":"A-1"}`, "EOF"},
		{"bad ticket", `[{"key":1}]`, "ticket 0"},
		{"empty", ``, "EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := DecodeTickets(strings.NewReader(tt.in), func(policy.Ticket) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
