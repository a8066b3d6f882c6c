package directory

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/policy"
)

const sampleCSV = `Email,Name,Active,Employment Type,department,title,manager,groups,start_date,end_date,owner,purpose,expiry,rotation
Dana.CEO@Example.com ,Dana Okafor,true,employee,Executive,CEO,,leadership,2019-03-01,,,,,
maria.lopez@example.com,Maria Lopez,yes,employee,Engineering,Engineering Manager,DANA.ceo@example.com,eng-managers; engineering,2020-06-15,,,,,
bob.smith@example.com,Bob Smith,1,employee,Engineering,Engineer,maria.lopez@example.com,engineering;billing-team;engineering,2021-11-01,,,,,
evan.wright@example.com,Evan Wright,false,employee,Engineering,Engineer,maria.lopez@example.com,engineering,2023-02-13,2026-10-31,,,,
ryan.cho@example.com,Ryan Cho,true,contractor,Sales,Consultant,dana.ceo@example.com,,2026-04-01,2026-09-30T17:00:00-07:00,,,,
svc-billing@example.com,Billing export,true,service_account,,,,billing-svc,,,bob.smith@example.com,nightly billing export,2027-06-30,90d
,,,,,,,,,,,,,
`

func mustParse(t *testing.T, format, text string) *File {
	t.Helper()
	f, err := Parse("people."+format, strings.NewReader(text), format)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return f
}

func emails(ps []policy.Person) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Email
	}
	return out
}

func TestPersonFields(t *testing.T) {
	f := mustParse(t, "csv", sampleCSV)
	if f.Len() != 6 {
		t.Fatalf("Len = %d, want 6", f.Len())
	}
	svc, ok, err := f.Person("SVC-Billing@example.com")
	if err != nil || !ok {
		t.Fatalf("Person(svc-billing) = %v, %v", ok, err)
	}
	want := policy.Person{
		Email: "svc-billing@example.com", Name: "Billing export", Active: true,
		EmploymentType: "service_account", Groups: []string{"billing-svc"},
		Owner: "bob.smith@example.com", Purpose: "nightly billing export",
		Expiry: time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC), Rotation: 90 * 24 * time.Hour,
	}
	if !equalPerson(svc, want) {
		t.Errorf("svc-billing = %+v\nwant %+v", svc, want)
	}
	maria, _, _ := f.Person("maria.lopez@example.com")
	if maria.Manager != "dana.ceo@example.com" || !maria.Active || !slices.Equal(maria.Groups, []string{"eng-managers", "engineering"}) {
		t.Errorf("maria = %+v", maria)
	}
	bob, _, _ := f.Person("bob.smith@example.com")
	if !slices.Equal(bob.Groups, []string{"engineering", "billing-team"}) {
		t.Errorf("bob groups = %q, want duplicates dropped", bob.Groups)
	}
	ryan, _, _ := f.Person("ryan.cho@example.com")
	if want := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC); !ryan.EndDate.Equal(want) {
		t.Errorf("ryan end = %v, want %v (RFC 3339 kept to the instant)", ryan.EndDate, want)
	}
}

func equalPerson(a, b policy.Person) bool {
	return slices.Equal(a.Groups, b.Groups) && a.Email == b.Email && a.Name == b.Name &&
		a.Active == b.Active && a.EmploymentType == b.EmploymentType && a.Department == b.Department &&
		a.Title == b.Title && a.Manager == b.Manager && a.StartDate.Equal(b.StartDate) &&
		a.EndDate.Equal(b.EndDate) && a.Owner == b.Owner && a.Purpose == b.Purpose &&
		a.Expiry.Equal(b.Expiry) && a.Rotation == b.Rotation
}

func TestLookups(t *testing.T) {
	f := mustParse(t, "csv", sampleCSV)
	ctx := context.Background()
	tests := []struct {
		name string
		got  func() ([]policy.Person, error)
		want []string
	}{
		{"members", func() ([]policy.Person, error) { return f.Members(ctx, "engineering") },
			[]string{"maria.lopez@example.com", "bob.smith@example.com", "evan.wright@example.com"}},
		{"members of unknown group", func() ([]policy.Person, error) { return f.Members(ctx, "nobody") }, []string{}},
		{"group names are exact", func() ([]policy.Person, error) { return f.Members(ctx, "Engineering") }, []string{}},
		{"reports, any case", func() ([]policy.Person, error) { return f.Reports(ctx, " Maria.Lopez@example.com") },
			[]string{"bob.smith@example.com", "evan.wright@example.com"}},
		{"reports of ceo", func() ([]policy.Person, error) { return f.Reports(ctx, "dana.ceo@example.com") },
			[]string{"maria.lopez@example.com", "ryan.cho@example.com"}},
		{"owned", func() ([]policy.Person, error) { return f.Owned(ctx, "bob.smith@example.com") },
			[]string{"svc-billing@example.com"}},
		{"all in file order", func() ([]policy.Person, error) { return f.All(), nil },
			[]string{"dana.ceo@example.com", "maria.lopez@example.com", "bob.smith@example.com",
				"evan.wright@example.com", "ryan.cho@example.com", "svc-billing@example.com"}},
		{"leavers: inactive, and end date passed", func() ([]policy.Person, error) {
			return f.Leavers(time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)), nil
		}, []string{"evan.wright@example.com", "ryan.cho@example.com"}},
		{"leavers before the contractor's end", func() ([]policy.Person, error) {
			return f.Leavers(time.Date(2026, 9, 30, 23, 59, 0, 0, time.UTC)), nil
		}, []string{"evan.wright@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.got()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(emails(got), tt.want) {
				t.Errorf("got %q, want %q", emails(got), tt.want)
			}
		})
	}
}

func TestLookupNotFound(t *testing.T) {
	f := mustParse(t, "csv", sampleCSV)
	if _, ok, err := f.Person("ghost@example.com"); ok || err != nil {
		t.Errorf("Person(ghost) = %v, %v; want not found, no error", ok, err)
	}
	_, err := f.Lookup(context.Background(), "Ghost@Example.com")
	if !errors.Is(err, bridge.ErrNotFound) {
		t.Fatalf("Lookup(ghost) = %v, want ErrNotFound", err)
	}
	if want := `directory people.csv: "ghost@example.com": not found`; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	p, err := f.Lookup(context.Background(), "DANA.CEO@EXAMPLE.COM")
	if err != nil || p.Name != "Dana Okafor" {
		t.Errorf("Lookup(DANA) = %+v, %v", p, err)
	}
}

func TestResultsAreCopies(t *testing.T) {
	f := mustParse(t, "csv", sampleCSV)
	p, _, _ := f.Person("bob.smith@example.com")
	p.Groups[0] = "security"
	all := f.All()
	all[2].Groups[1] = "security"
	again, _, _ := f.Person("bob.smith@example.com")
	if again.InGroup("security") {
		t.Errorf("caller changed loaded data: %q", again.Groups)
	}
}

func TestFormatsAgree(t *testing.T) {
	const js = `{"people": [
  {"email": "dana.ceo@example.com", "name": "Dana Okafor", "active": true, "employment_type": "employee", "groups": ["leadership"], "start_date": "2019-03-01"},
  {"email": "svc-billing@example.com", "active": true, "employment_type": "service_account", "owner": "dana.ceo@example.com",
   "purpose": "nightly billing export", "expiry": "2027-06-30", "rotation": "90d", "groups": "billing-svc;finance", "manager": null}
]}`
	const ym = `people:
  - email: dana.ceo@example.com
    name: Dana Okafor
    active: true
    employment_type: employee
    groups: [leadership]
    start_date: 2019-03-01
  - email: svc-billing@example.com
    active: yes
    employment_type: service_account
    owner: dana.ceo@example.com
    purpose: nightly billing export
    expiry: 2027-06-30
    rotation: 90d
    groups: billing-svc;finance
    manager:
`
	const cs = "email,name,active,employment_type,groups,start_date,owner,purpose,expiry,rotation\n" +
		"dana.ceo@example.com,Dana Okafor,true,employee,leadership,2019-03-01,,,,\n" +
		"svc-billing@example.com,,true,service_account,billing-svc;finance,,dana.ceo@example.com,nightly billing export,2027-06-30,90d\n"
	want := mustParse(t, "csv", cs).All()
	const bare = `- {email: dana.ceo@example.com, name: Dana Okafor, active: true, employment_type: employee,
   groups: [leadership], start_date: 2019-03-01}
- email: svc-billing@example.com
  active: true
  employment_type: service_account
  owner: dana.ceo@example.com
  purpose: "nightly billing export"
  expiry: "2027-06-30"
  rotation: 90d
  groups: [billing-svc, finance]
`
	const bareJSON = `[{"email": "dana.ceo@example.com", "name": "Dana Okafor", "active": "true", "employment_type": "employee", "groups": "leadership", "start_date": "2019-03-01T00:00:00Z"},
 {"email": "svc-billing@example.com", "active": true, "employment_type": "service_account", "owner": "Dana.CEO@example.com",
  "purpose": "nightly billing export", "expiry": "2027-06-30", "rotation": "2160h", "groups": ["billing-svc", "finance"]}]`
	for _, tt := range []struct{ format, text string }{{"json", js}, {"json", bareJSON}, {"yaml", ym}, {"yml", bare}} {
		got := mustParse(t, tt.format, tt.text).All()
		if len(got) != len(want) {
			t.Fatalf("%s: %d people, want %d", tt.format, len(got), len(want))
		}
		for i := range got {
			if !equalPerson(got[i], want[i]) {
				t.Errorf("%s: person %d = %+v\nwant %+v", tt.format, i, got[i], want[i])
			}
		}
	}
}

func TestExamplePeople(t *testing.T) {
	f, err := Load("../../examples/people.csv")
	if err != nil {
		t.Fatalf("examples/people.csv: %v", err)
	}
	now := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	if got, want := emails(f.Leavers(now)), []string{"evan.wright@example.com", "ryan.cho@example.com"}; !slices.Equal(got, want) {
		t.Errorf("leavers = %q, want %q", got, want)
	}
	sec, _ := f.Members(context.Background(), "security")
	if got, want := emails(sec), []string{"sarah.kim@example.com", "li.wei@example.com", "diego.santos@example.com"}; !slices.Equal(got, want) {
		t.Errorf("security = %q, want %q", got, want)
	}
	orphaned, _ := f.Owned(context.Background(), "evan.wright@example.com")
	if got := emails(orphaned); !slices.Equal(got, []string{"svc-orphan@example.com"}) {
		t.Errorf("owned by evan = %q", got)
	}
}

func TestLoadChoosesFormat(t *testing.T) {
	if _, err := Load("people.txt"); err == nil || err.Error() != `directory: people.txt: unknown format ".txt" (want .csv, .json, .yaml or .yml)` {
		t.Errorf("Load(people.txt) = %v", err)
	}
	if _, err := Parse("x", strings.NewReader(""), "xml"); err == nil || err.Error() != `directory: x: unknown format "xml" (want csv, json or yaml)` {
		t.Errorf("Parse(xml) = %v", err)
	}
}

func TestConcurrentLookups(t *testing.T) {
	f := mustParse(t, "csv", sampleCSV)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if _, ok, _ := f.Person("bob.smith@example.com"); !ok {
					t.Error("bob not found")
					return
				}
				_, _ = f.Members(context.Background(), "engineering")
				_ = f.Leavers(time.Now())
			}
		})
	}
	wg.Wait()
}

func TestExampleFormatsAgree(t *testing.T) {
	csv, err := Load("../../examples/people.csv")
	if err != nil {
		t.Fatal(err)
	}
	yml, err := Load("../../examples/people.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a, b := csv.All(), yml.All()
	if len(a) != len(b) {
		t.Fatalf("csv has %d people, yaml %d", len(a), len(b))
	}
	for i := range a {
		if !equalPerson(a[i], b[i]) {
			t.Errorf("person %d differs:\ncsv  %+v\nyaml %+v", i, a[i], b[i])
		}
	}
}
