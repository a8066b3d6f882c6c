package policy

import (
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// DefaultTestNow is the evaluation time of a policy test that names none.
var DefaultTestNow = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

// editedDigest stands for "given for a different version of the request"
// (`edited: true` in a test approval).
const editedDigest = "sha256:edited-request"

// TestCase is one policy test from a tests: section.
type TestCase struct {
	Name      string
	File      string
	Line      int
	Ticket    Ticket
	People    []Person // the file's people: followed by the case's own
	Approvals []Approval
	Now       time.Time
	Expect    Expectation
}

// Expectation is what a policy test asserts; zero fields are not checked.
type Expectation struct {
	Verdict        Verdict
	Category       Category
	Impact         string
	Missing        []string // requirement names; checked when CheckMissing
	CheckMissing   bool
	Rule           string
	ReasonsContain []string
	Exception      *bool
	GrantUntil     time.Time
	Resource       string
	Role           string
	Subject        string
}

var (
	testKeys         = []string{"name", "description", "ticket", "people", "approvals", "now", "expect"}
	ticketKeys       = []string{"source", "key", "id", "url", "project", "type", "status", "summary", "description", "requester", "subject", "assignee", "labels", "components", "priority", "fields"}
	personKeys       = []string{"email", "name", "active", "employment_type", "department", "title", "manager", "groups", "start_date", "end_date", "owner", "purpose", "expiry", "rotation"}
	approvalKeysTest = []string{"by", "decision", "reason", "at", "channel", "digest", "edited", "source_user"}
	expectKeys       = []string{"verdict", "category", "impact", "missing", "rule", "reasons_contain", "exception", "grant_until", "resource", "role", "subject"}
)

func (p *parser) tests(n *yaml.Node, shared []Person) []TestCase {
	var out []TestCase
	p.seq(n, "tests", func(it *yaml.Node) {
		tc := TestCase{File: p.file, Line: it.Line, Now: DefaultTestNow}
		nodes := map[string]*yaml.Node{}
		if !p.mapping(it, "test", testKeys, func(key string, _, v *yaml.Node) { nodes[key] = v }) {
			return
		}
		if v := nodes["name"]; v != nil {
			tc.Name = p.str(v, "name")
		}
		if tc.Name == "" {
			p.errorf(it, "test: name is required")
		}
		if v := nodes["now"]; v != nil {
			tc.Now = p.time(v, "now", DefaultTestNow)
		}
		if v := nodes["ticket"]; v != nil {
			tc.Ticket = p.ticket(v)
		} else {
			p.errorf(it, "test %q: ticket is required", tc.Name)
		}
		tc.People = append(append([]Person(nil), shared...), p.people(nodes["people"])...)
		if v := nodes["approvals"]; v != nil {
			p.seq(v, "approvals", func(a *yaml.Node) { tc.Approvals = append(tc.Approvals, p.approval(a, tc.Now)) })
		}
		if v := nodes["expect"]; v != nil {
			tc.Expect = p.expectation(v, tc.Now)
		} else {
			p.errorf(it, "test %q: expect is required", tc.Name)
		}
		out = append(out, tc)
	})
	return out
}

func (p *parser) ticket(n *yaml.Node) Ticket {
	var t Ticket
	strs := map[string]*string{
		"source": &t.Source, "key": &t.Key, "id": &t.ID, "url": &t.URL, "project": &t.Project,
		"type": &t.Type, "status": &t.Status, "summary": &t.Summary, "description": &t.Description,
		"requester": &t.Requester, "subject": &t.Subject, "assignee": &t.Assignee, "priority": &t.Priority,
	}
	p.mapping(n, "ticket", ticketKeys, func(key string, _, v *yaml.Node) {
		switch key {
		case "labels":
			t.Labels = p.strList(v, key)
		case "components":
			t.Components = p.strList(v, key)
		case "fields":
			t.Fields = map[string]string{}
			p.mapping(v, "fields", nil, func(k string, _, fv *yaml.Node) { t.Fields[k] = p.str(fv, "fields."+k) })
		default:
			*strs[key] = p.str(v, key)
		}
	})
	return t
}

// people reads a people: list (test directory entries); active defaults to true.
func (p *parser) people(n *yaml.Node) []Person {
	if n == nil {
		return nil
	}
	var out []Person
	p.seq(n, "people", func(it *yaml.Node) {
		pr := Person{Active: true}
		strs := map[string]*string{
			"email": &pr.Email, "name": &pr.Name, "employment_type": &pr.EmploymentType,
			"department": &pr.Department, "title": &pr.Title, "manager": &pr.Manager,
			"owner": &pr.Owner, "purpose": &pr.Purpose,
		}
		times := map[string]*time.Time{"start_date": &pr.StartDate, "end_date": &pr.EndDate, "expiry": &pr.Expiry}
		p.mapping(it, "person", personKeys, func(key string, _, v *yaml.Node) {
			switch key {
			case "active":
				pr.Active = p.boolean(v, key)
			case "groups":
				pr.Groups = p.strList(v, key)
			case "rotation":
				pr.Rotation = p.duration(v, key)
			default:
				if s, ok := strs[key]; ok {
					*s = p.str(v, key)
				} else {
					*times[key] = p.time(v, key, DefaultTestNow)
				}
			}
		})
		if !strings.Contains(pr.Email, "@") {
			p.errorf(it, "person: email is required")
		}
		out = append(out, pr)
	})
	return out
}

func (p *parser) approval(n *yaml.Node, now time.Time) Approval {
	a := Approval{Decision: Approve, At: now}
	p.mapping(n, "approval", approvalKeysTest, func(key string, _, v *yaml.Node) {
		switch key {
		case "by":
			a.By = p.str(v, key)
		case "decision":
			if a.Decision = p.str(v, key); a.Decision != Approve && a.Decision != Deny {
				p.errorf(v, "decision: want approve or deny, got %q", a.Decision)
			}
		case "reason":
			a.Reason = p.str(v, key)
		case "at":
			a.At = p.time(v, key, now)
		case "channel":
			a.Channel = p.str(v, key)
		case "digest":
			a.Digest = p.str(v, key)
		case "edited":
			if p.boolean(v, key) {
				a.Digest = editedDigest
			}
		case "source_user":
			a.SourceUser = p.str(v, key)
		}
	})
	if a.By == "" {
		p.errorf(n, "approval: by is required")
	}
	return a
}

func (p *parser) expectation(n *yaml.Node, now time.Time) Expectation {
	var e Expectation
	p.mapping(n, "expect", expectKeys, func(key string, _, v *yaml.Node) {
		switch key {
		case "verdict":
			e.Verdict = Verdict(p.str(v, key))
			switch e.Verdict {
			case Allowed, Pending, Denied, NotApplicable, Error:
			default:
				p.errorf(v, "verdict: unknown verdict %q", e.Verdict)
			}
		case "category":
			c, ok := parseCategory(p.str(v, key))
			if !ok {
				p.errorf(v, "category: unknown category %q (want %s)", v.Value, categoryList())
			}
			e.Category = c
		case "impact":
			if _, ok := ParseImpact(p.str(v, key)); !ok {
				p.errorf(v, "impact: unknown impact %q", v.Value)
			}
			e.Impact = v.Value
		case "missing":
			e.Missing, e.CheckMissing = p.strList(v, key), true
		case "rule":
			e.Rule = p.str(v, key)
		case "reasons_contain":
			e.ReasonsContain = p.strList(v, key)
		case "exception":
			b := p.boolean(v, key)
			e.Exception = &b
		case "grant_until":
			e.GrantUntil = p.time(v, key, now)
		case "resource":
			e.Resource = p.str(v, key)
		case "role":
			e.Role = p.str(v, key)
		case "subject":
			e.Subject = p.str(v, key)
		}
	})
	return e
}

// time reads RFC 3339, a date (2027-01-31), or an offset from now ("-2h",
// "+3 days").
func (p *parser) time(n *yaml.Node, what string, now time.Time) time.Time {
	s := strings.TrimSpace(p.str(n, what))
	if s == "" {
		return time.Time{}
	}
	if s[0] == '-' || s[0] == '+' {
		d, err := ParseDuration(s[1:])
		if err != nil {
			p.errorf(n, "%s: %v", what, err)
			return time.Time{}
		}
		if s[0] == '-' {
			d = -d
		}
		return now.Add(d)
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	p.errorf(n, "%s: want an RFC 3339 time, a date (2006-01-02) or an offset like -2h, got %q", what, s)
	return time.Time{}
}
