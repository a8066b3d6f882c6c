package policy

import (
	"strings"
	"testing"
)

// classifyWith compiles a one-rule policy whose classify rule is when.
func classifyWith(t *testing.T, when string) *Policy {
	t.Helper()
	return mustParse(t, "version: 1\nclassify:\n  - name: probe\n    when: "+quoteYAML(when)+"\n    category: access_grant\n    impact: low\n")
}

func quoteYAML(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

func TestMentions(t *testing.T) {
	tests := []struct {
		name, when, summary, description string
		labels                           []string
		want                             bool
		matched                          string // explanation value when matched
	}{
		{"case-insensitive word", `ticket.mentions(['admin'])`, "Need ADMIN please", "", nil, true, `"ADMIN"`},
		{"not inside a word", `ticket.mentions(['admin'])`, "sysadmin rights", "", nil, false, ""},
		{"not a plural", `ticket.mentions(['admin'])`, "all admins", "", nil, false, ""},
		{"possessive", `ticket.mentions(['admin'])`, "the admin's console", "", nil, true, `"admin"`},
		{"underscore separates words", `ticket.mentions(['admin'])`, "add me to admin_group", "", nil, true, `"admin"`},
		{"phrase with spaces", `ticket.mentions(['super user'])`, "make me Super  User", "", nil, true, `"Super  User"`},
		{"phrase with dash", `ticket.mentions(['super user'])`, "super-user pls", "", nil, true, `"super-user"`},
		{"phrase with underscore", `ticket.mentions(['super user'])`, "super_user pls", "", nil, true, `"super_user"`},
		{"phrase written together", `ticket.mentions(['super user'])`, "SuperUser pls", "", nil, true, `"SuperUser"`},
		{"phrase not across lines", `ticket.mentions(['super user'])`, "super", "user", nil, false, ""},
		{"one word does not split", `ticket.mentions(['superuser'])`, "super user", "", nil, false, ""},
		{"apostrophes join", `ticket.mentions(["can't"])`, "i can’t log in", "", nil, true, `"can’t"`},
		{"contraction written together", `ticket.mentions(["can't"])`, "cant log in", "", nil, true, `"cant"`},
		{"digits", `ticket.mentions(['sev 1'])`, "SEV1 outage", "", nil, true, `"SEV1"`},
		{"digits are whole words", `ticket.mentions(['sev 1'])`, "sev 10", "", nil, false, ""},
		{"description counts", `ticket.mentions(['vpn'])`, "help", "the VPN drops", nil, true, `"VPN"`},
		{"summary only", `ticket.summary.mentions(['vpn'])`, "help", "the VPN drops", nil, false, ""},
		{"non-ASCII letters", `ticket.mentions(['zugriff für'])`, "ZUGRIFF FÜR prod", "", nil, true, `"ZUGRIFF FÜR"`},
		{"leftmost, longest phrase shown", `ticket.mentions(['access', 'personal access token'])`, "my personal access token leaked", "", nil, true, `"personal access token"`},
		{"any string", `'Rotate The Key'.mentions(['rotate'])`, "", "", nil, true, ""},
		{"list known only at run time", `ticket.mentions(ticket.labels)`, "the vpn is down", "", []string{"okta", "vpn"}, true, ""},
		{"empty run-time list", `ticket.mentions(ticket.labels)`, "the vpn is down", "", nil, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := classifyWith(t, tt.when)
			tk := Ticket{Summary: tt.summary, Description: tt.description, Labels: tt.labels, Requester: "alice@example.com"}
			d := p.Evaluate(tk, dir(), nil, now)
			if got := d.Classification.Category == AccessGrant; got != tt.want {
				t.Fatalf("matched = %v, want %v (reasons %q)", got, tt.want, d.Reasons)
			}
			if n := d.Explanation.Find("probe"); tt.want && n.Values["matched"] != tt.matched {
				t.Errorf("explanation matched = %s, want %s", n.Values["matched"], tt.matched)
			}
			if c := p.Classify(tk); (c.Category == AccessGrant) != tt.want {
				t.Errorf("Classify disagrees with Evaluate: %s", c.Category)
			}
		})
	}
}

func TestMentionsRunTimeErrors(t *testing.T) {
	p := classifyWith(t, `ticket.mentions(ticket.labels)`)
	d := p.Evaluate(Ticket{Summary: "x", Labels: []string{"c++"}, Requester: "alice@example.com"}, dir(), nil, now)
	if d.Verdict != Error || !strings.Contains(strings.Join(d.Reasons, ""), `mentions: "c++"`) {
		t.Fatalf("verdict %s reasons %q, want an error naming the phrase", d.Verdict, d.Reasons)
	}
}

func TestMentionsLoadErrors(t *testing.T) {
	tests := []struct{ when, want string }{
		{`ticket.mentions('admin')`, "found no matching overload for 'mentions'"},
		{`ticket.mentions([1, 2])`, "found no matching overload for 'mentions'"},
		{`requester.mentions(['x'])`, "undeclared reference to 'requester'"},
		{`classification.mentions(['x'])`, "found no matching overload for 'mentions'"},
		{`ticket.mentions(['c++'])`, `mentions: "c++": write words separated by spaces, dashes, underscores or apostrophes (use matches() for patterns) (expression 1:18)`},
		{`ticket.mentions(['ok', ''])`, `mentions: "" has no words (expression 1:24)`},
		{`ticket.mentions([])`, "mentions: the list is empty, so it never matches (expression 1:"},
		{`ticket.summary.mentions(['a.b'])`, `mentions: "a.b"`},
	}
	for _, tt := range tests {
		t.Run(tt.when, func(t *testing.T) {
			src := "version: 1\nclassify:\n  - name: probe\n    when: " + quoteYAML(tt.when) + "\n    category: access_grant\n    impact: low\n"
			_, err := Parse("p.yaml", []byte(src))
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "p.yaml:4:11: when: ") {
				t.Fatalf("error %q, want p.yaml:4:11 and %q", err, tt.want)
			}
		})
	}
}

// TestFieldReadShadowing checks that the fast field path resolves
// variables like CEL does: a comprehension variable hides the outer one.
func TestFieldReadShadowing(t *testing.T) {
	p := mustParse(t, `
version: 1
classify:
  - {name: c, when: "true", category: access_grant, impact: low}
eligibility:
  - name: inner-requester-is-the-subject
    require: "[subject].exists(requester, requester.email == 'bob@example.com') && requester.email == 'alice@example.com'"
approvals:
  - {name: any, if: "true"}
`)
	d := p.Evaluate(Ticket{Summary: "for bob", Subject: "bob@example.com", Requester: "alice@example.com"}, dir(), nil, now)
	if len(d.Eligibility) == 0 || !d.Eligibility[len(d.Eligibility)-1].Passed {
		t.Fatalf("eligibility = %+v, reasons %q", d.Eligibility, d.Reasons)
	}
}
