package policy

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var now = DefaultTestNow

// people is a small directory shared by the unit tests.
var people = []Person{
	{Email: "dana@example.com", Active: true, EmploymentType: "employee"},
	{Email: "maria@example.com", Active: true, EmploymentType: "employee", Manager: "dana@example.com"},
	{Email: "sarah@example.com", Active: true, EmploymentType: "employee", Manager: "dana@example.com", Groups: []string{"security"}},
	{Email: "li@example.com", Active: true, EmploymentType: "employee", Manager: "sarah@example.com", Groups: []string{"security"}},
	{Email: "alice@example.com", Active: true, EmploymentType: "employee", Manager: "maria@example.com"},
	{Email: "bob@example.com", Active: true, EmploymentType: "employee", Manager: "maria@example.com"},
	{Email: "tom@example.com", Active: true, EmploymentType: "employee", Manager: "dana@example.com", Groups: []string{"it-helpdesk"}},
	{Email: "evan@example.com", Active: false, EmploymentType: "employee", Manager: "maria@example.com", EndDate: now.AddDate(0, -1, 0)},
	{Email: "svc-ok@example.com", Active: true, EmploymentType: "service_account", Owner: "bob@example.com", Purpose: "billing export", Expiry: now.AddDate(1, 0, 0)},
	{Email: "svc-orphan@example.com", Active: true, EmploymentType: "service_account", Owner: "evan@example.com"},
}

func dir() StaticDirectory { return NewStaticDirectory(people...) }

// mustParse compiles an inline policy or fails the test.
func mustParse(t testing.TB, src string) *Policy {
	t.Helper()
	p, err := Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func approve(by string) Approval {
	return Approval{By: by, Decision: Approve, At: now, Channel: "jira_comment"}
}

func deny(by, reason string) Approval {
	return Approval{By: by, Decision: Deny, Reason: reason, At: now, Channel: "jira_comment"}
}

func missingNames(d Decision) string {
	var names []string
	for _, m := range d.Missing {
		names = append(names, m.Name)
	}
	return strings.Join(names, ",")
}

// failingDirectory answers every lookup with an error.
type failingDirectory struct{}

func (failingDirectory) Person(string) (Person, bool, error) {
	return Person{}, false, errors.New("scim: 503 service unavailable")
}

func hours(n int) time.Duration { return time.Duration(n) * time.Hour }
