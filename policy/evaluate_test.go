package policy

import (
	"strings"
	"testing"
	"time"
)

// unitPolicy exercises every approval feature with short, explicit rules.
const unitPolicy = `
version: 1
mode: enforce
resources:
  - name: prod-db
    roles: [read, write]
    owners: [grace@example.com]
    max_duration: 12h
    aliases: [production database]
  - name: wiki
    roles: [reader]
extract:
  patterns:
    - '(?i)for (?P<duration>\d+\s*(?:h|hours?|d|days?))'
    - '(?i)(?:reset|for) (?P<subject>[a-z]+@example\.com)'
classify:
  - name: grant
    when: ticket.text.matches(r'(?i)\baccess\b')
    category: access_grant
    impact: low
  - name: admin
    when: ticket.text.matches(r'(?i)\badmin\b')
    category: privileged_access
    impact: critical
  - name: reset
    when: ticket.text.matches(r'(?i)\breset\b')
    category: credential_reset
    impact: medium
  - name: key
    when: ticket.text.matches(r'(?i)api key')
    category: nhi_lifecycle
    impact: medium
  - name: broken
    when: "'boom' in ticket.labels && ticket.fields['boom'] == 'x'"
    category: access_grant
    impact: low
  - name: orphan-category
    when: ticket.text.matches(r'(?i)\bremove\b')
    category: access_revoke
    impact: medium
  - name: incident
    when: "'incident' in ticket.labels"
    category: access_grant
    impact: medium
eligibility:
  - name: active
    require: requester.active
    message: requester is not active
approvals:
  - name: glass
    if: "'incident' in ticket.labels"
    break_glass: true
    review_within: 12h
  - name: privileged
    if: classification.category == 'privileged_access'
    mandatory: true
    require:
      - from: manager
      - from: group:security
    approval_valid_for: 72h
    max_duration: 8h
    channels: [ticket]
  - name: quorum
    if: ticket.text.contains('quorum')
    require:
      - from: group:security
        count: 2
  - name: same
    if: ticket.text.contains('same-approver')
    allow_same_approver: true
    require:
      - from: manager
      - from: group:security
  - name: route
    if: ticket.text.contains('route')
    require:
      - {from: group:security, name: first}
      - {from: user:sarah@example.com, name: second}
  - name: grant
    if: classification.category == 'access_grant' && !ticket.text.matches('quorum|same-approver|route')
    require:
      - from: [manager, user:dana@example.com]
        name: manager
    self_approval: false
    max_duration: 30d
  - name: selfok
    if: ticket.text.contains('selfok')
    self_approval: true
    require:
      - from: user:alice@example.com
  - name: reset-other
    if: classification.category == 'credential_reset' && subject.email != requester.email
    require:
      - from: manager
  - name: reset-self
    if: classification.category == 'credential_reset' && subject.email == requester.email
  - name: nhi
    if: classification.category == 'nhi_lifecycle'
    require:
      - from: owner
      - from: group:security
  - name: prod-db
    if: classification.resource == 'prod-db'
    require:
      - from: owner:prod-db
gates:
  jira: [Approved, "In Progress"]
`

func TestEvaluate(t *testing.T) {
	p := mustParse(t, unitPolicy)
	tests := []struct {
		name      string
		ticket    Ticket
		approvals []Approval
		verdict   Verdict
		missing   string
		reason    string // substring of a reason
		check     func(t *testing.T, d Decision)
	}{
		{
			name:    "not an identity change",
			ticket:  Ticket{Summary: "printer jammed", Requester: "alice@example.com"},
			verdict: NotApplicable,
		},
		{
			name:    "pending lists what is missing with candidates",
			ticket:  Ticket{Summary: "need admin please", Requester: "alice@example.com"},
			verdict: Pending, missing: "manager,group:security",
			check: func(t *testing.T, d Decision) {
				if got := d.Missing[0].Candidates; len(got) != 1 || got[0] != "maria@example.com" {
					t.Errorf("manager candidates = %v, want [maria@example.com]", got)
				}
				if d.Missing[1].Count != 1 || d.Missing[1].Have != 0 {
					t.Errorf("security have/count = %d/%d", d.Missing[1].Have, d.Missing[1].Count)
				}
				if d.Rule != "privileged" || d.PolicyDigest != p.Digest() {
					t.Errorf("rule %q digest %q", d.Rule, d.PolicyDigest)
				}
				if len(d.Channels) != 1 || d.Channels[0] != ChannelTicket {
					t.Errorf("channels = %v, want [ticket]", d.Channels)
				}
			},
		},
		{
			name:      "manager and security allow, approvers listed",
			ticket:    Ticket{Summary: "need admin please", Requester: "alice@example.com"},
			approvals: []Approval{approve("li@example.com"), approve("maria@example.com")},
			verdict:   Allowed,
			check: func(t *testing.T, d Decision) {
				if strings.Join(d.Approvers, ",") != "maria@example.com,li@example.com" {
					t.Errorf("approvers = %v", d.Approvers)
				}
			},
		},
		{
			name:      "deny from an eligible approver denies",
			ticket:    Ticket{Summary: "need admin please", Requester: "alice@example.com"},
			approvals: []Approval{approve("maria@example.com"), deny("li@example.com", "not needed for this task")},
			verdict:   Denied, reason: "denied by li@example.com (group:security): not needed for this task",
		},
		{
			name:      "deny from a non-eligible person is ignored and explained",
			ticket:    Ticket{Summary: "need admin please", Requester: "alice@example.com"},
			approvals: []Approval{deny("bob@example.com", "nope"), approve("maria@example.com"), approve("li@example.com")},
			verdict:   Allowed,
			check: func(t *testing.T, d Decision) {
				n := d.Explanation.Find("bob@example.com")
				if n == nil || !strings.Contains(n.Reason, "deny ignored") {
					t.Errorf("bob's deny node = %+v", n)
				}
			},
		},
		{
			name:      "a later approval replaces an earlier deny from the same person",
			ticket:    Ticket{Summary: "need admin please", Requester: "alice@example.com"},
			approvals: []Approval{{By: "li@example.com", Decision: Deny, At: now.Add(-time.Hour)}, approve("li@example.com"), approve("maria@example.com")},
			verdict:   Allowed,
		},
		{
			name:      "edited request invalidates the approval",
			ticket:    Ticket{Summary: "need admin please", Requester: "alice@example.com"},
			approvals: []Approval{{By: "maria@example.com", At: now, Digest: "sha256:0123456789abcdef"}, approve("li@example.com")},
			verdict:   Pending, missing: "manager",
			check: func(t *testing.T, d Decision) {
				if len(d.Invalidated) != 1 || d.Invalidated[0].By != "maria@example.com" {
					t.Errorf("invalidated = %+v", d.Invalidated)
				}
				if n := d.Explanation.Find("maria@example.com"); n == nil || !strings.Contains(n.Reason, "edited after approval") {
					t.Errorf("explanation node = %+v", n)
				}
			},
		},
		{
			name:   "approval for the current digest counts",
			ticket: Ticket{Summary: "need admin please", Requester: "alice@example.com"},
			approvals: []Approval{
				{By: "maria@example.com", At: now, Digest: p.Classify(Ticket{Summary: "need admin please", Requester: "alice@example.com"}).Entitlement.Digest()},
				approve("li@example.com"),
			},
			verdict: Allowed,
		},
		{
			name:      "expired approval does not count",
			ticket:    Ticket{Summary: "need admin please", Requester: "alice@example.com"},
			approvals: []Approval{{By: "maria@example.com", At: now.Add(-hours(73))}, approve("li@example.com")},
			verdict:   Pending, missing: "manager",
			check: func(t *testing.T, d Decision) {
				if n := d.Explanation.Find("maria@example.com"); n == nil || !strings.HasPrefix(n.Reason, "expired") {
					t.Errorf("explanation node = %+v", n)
				}
			},
		},
		{
			name:      "approval from a forbidden channel does not count",
			ticket:    Ticket{Summary: "need admin please", Requester: "alice@example.com"},
			approvals: []Approval{{By: "maria@example.com", At: now, Channel: "slack"}, approve("li@example.com")},
			verdict:   Pending, missing: "manager",
		},
		{
			name:      "self-approval is refused",
			ticket:    Ticket{Summary: "need admin please", Requester: "li@example.com"},
			approvals: []Approval{approve("li@example.com"), approve("sarah@example.com")},
			verdict:   Pending, missing: "group:security",
			check: func(t *testing.T, d Decision) {
				if n := d.Explanation.Find("li@example.com"); n == nil || !strings.Contains(n.Reason, "self-approval is not allowed") {
					t.Errorf("explanation node = %+v", n)
				}
			},
		},
		{
			name:      "self-approval counts when the rule allows it",
			ticket:    Ticket{Summary: "selfok wiki access", Requester: "alice@example.com"},
			approvals: []Approval{approve("alice@example.com"), approve("maria@example.com")},
			verdict:   Allowed,
		},
		{
			name:      "one person fills one group: manager who is also security",
			ticket:    Ticket{Summary: "need admin please", Requester: "li@example.com"},
			approvals: []Approval{approve("sarah@example.com")},
			verdict:   Pending, missing: "group:security",
		},
		{
			name:      "allow_same_approver lets one person fill both groups",
			ticket:    Ticket{Summary: "same-approver wiki access", Requester: "li@example.com"},
			approvals: []Approval{approve("sarah@example.com")},
			verdict:   Allowed,
		},
		{
			name:      "matching finds the assignment whatever the order",
			ticket:    Ticket{Summary: "route wiki access", Requester: "alice@example.com"},
			approvals: []Approval{approve("sarah@example.com"), approve("li@example.com")},
			verdict:   Allowed,
		},
		{
			name:      "two of group:security needs two people",
			ticket:    Ticket{Summary: "quorum access to wiki", Requester: "alice@example.com"},
			approvals: []Approval{approve("li@example.com"), approve("li@example.com")},
			verdict:   Pending, missing: "group:security",
			check: func(t *testing.T, d Decision) {
				if d.Missing[0].Have != 1 || d.Missing[0].Count != 2 {
					t.Errorf("have/count = %d/%d, want 1/2", d.Missing[0].Have, d.Missing[0].Count)
				}
			},
		},
		{
			name:      "two of group:security satisfied",
			ticket:    Ticket{Summary: "quorum access to wiki", Requester: "alice@example.com"},
			approvals: []Approval{approve("li@example.com"), approve("sarah@example.com")},
			verdict:   Allowed,
		},
		{
			name:    "mandatory rule that does not apply is an error",
			ticket:  Ticket{Summary: "need admin please", Requester: "alice@example.com", Labels: []string{"incident"}},
			verdict: Allowed, // break-glass; the mandatory rule applies, so no error
			check: func(t *testing.T, d Decision) {
				if d.Exception == nil || d.Exception.Rule != "glass" || !d.Exception.ReviewDue.Equal(now.Add(hours(12))) {
					t.Errorf("exception = %+v", d.Exception)
				}
			},
		},
		{
			name:      "max_duration caps the requested duration",
			ticket:    Ticket{Summary: "need admin on the production database for 3 days", Requester: "alice@example.com"},
			approvals: []Approval{approve("maria@example.com"), approve("li@example.com"), approve("grace@example.com")},
			verdict:   Allowed,
			check: func(t *testing.T, d Decision) {
				if !d.GrantUntil.Equal(now.Add(hours(8))) {
					t.Errorf("grant until %v, want now+8h", d.GrantUntil)
				}
				if n := d.Explanation.Find("duration"); n == nil || !strings.Contains(n.Reason, "capped to 8h") {
					t.Errorf("duration node = %+v", n)
				}
				if e := d.Classification.Entitlement; e.Resource != "prod-db" || e.Duration != hours(72) {
					t.Errorf("entitlement = %+v", e)
				}
			},
		},
		{
			name:      "requested duration within the cap is kept",
			ticket:    Ticket{Summary: "wiki access for 2 days", Requester: "alice@example.com"},
			approvals: []Approval{approve("maria@example.com")},
			verdict:   Allowed,
			check: func(t *testing.T, d Decision) {
				if !d.GrantUntil.Equal(now.Add(hours(48))) {
					t.Errorf("grant until %v, want now+48h", d.GrantUntil)
				}
			},
		},
		{
			name:    "credential reset for someone else needs the subject's manager",
			ticket:  Ticket{Summary: "please reset bob@example.com mfa", Requester: "tom@example.com"},
			verdict: Pending, missing: "manager",
			check: func(t *testing.T, d Decision) {
				if d.Classification.Entitlement.Subject != "bob@example.com" {
					t.Errorf("subject = %q", d.Classification.Entitlement.Subject)
				}
				if c := d.Missing[0].Candidates; len(c) != 1 || c[0] != "maria@example.com" {
					t.Errorf("candidates = %v, want the subject's manager", c)
				}
			},
		},
		{
			name:      "credential reset for someone else: the requester's manager does not count",
			ticket:    Ticket{Summary: "please reset bob@example.com mfa", Requester: "tom@example.com"},
			approvals: []Approval{approve("dana@example.com")},
			verdict:   Pending, missing: "manager",
		},
		{
			name:    "own credential reset needs no approval",
			ticket:  Ticket{Summary: "reset my password", Requester: "bob@example.com"},
			verdict: Allowed,
			check: func(t *testing.T, d Decision) {
				if d.Rule != "reset-self" {
					t.Errorf("rule = %q", d.Rule)
				}
			},
		},
		{
			name:    "NHI with an active owner, purpose and expiry needs owner and security",
			ticket:  Ticket{Summary: "rotate api key", Subject: "svc-ok@example.com", Requester: "alice@example.com"},
			verdict: Pending, missing: "owner,group:security",
			check: func(t *testing.T, d Decision) {
				if c := d.Missing[0].Candidates; len(c) != 1 || c[0] != "bob@example.com" {
					t.Errorf("owner candidates = %v", c)
				}
			},
		},
		{
			name:    "NHI without an active owner, purpose or expiry is denied",
			ticket:  Ticket{Summary: "rotate api key", Subject: "svc-orphan@example.com", Requester: "alice@example.com"},
			verdict: Denied, reason: "owner evan@example.com of svc-orphan@example.com is not active",
			check: func(t *testing.T, d Decision) {
				all := strings.Join(d.Reasons, "|")
				for _, want := range []string{"no stated purpose", "neither an expiry nor a rotation period"} {
					if !strings.Contains(all, want) {
						t.Errorf("reasons %q lack %q", all, want)
					}
				}
			},
		},
		{
			name:    "requester not in the directory is denied",
			ticket:  Ticket{Summary: "need wiki access", Requester: "ghost@example.com"},
			verdict: Denied, reason: "requester ghost@example.com is not in the directory",
		},
		{
			name:    "inactive requester is denied by a policy rule",
			ticket:  Ticket{Summary: "need wiki access", Requester: "evan@example.com"},
			verdict: Denied, reason: "requester is not active",
		},
		{
			name:    "CEL runtime error fails closed",
			ticket:  Ticket{Summary: "printer", Requester: "alice@example.com", Labels: []string{"boom"}},
			verdict: Error, reason: `classify rule "broken": no such key: boom`,
		},
		{
			name:    "identity ticket no rule covers is an error",
			ticket:  Ticket{Summary: "remove me from wiki", Requester: "alice@example.com"},
			verdict: Error, reason: "no approval rule covers this access_revoke/medium ticket",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tk := tc.ticket
			d := p.Evaluate(tk, dir(), tc.approvals, now)
			if d.Verdict != tc.verdict {
				var b strings.Builder
				d.Explanation.Format(&b)
				t.Fatalf("verdict = %s, want %s; reasons %q\n%s", d.Verdict, tc.verdict, d.Reasons, b.String())
			}
			if tc.missing != "" && missingNames(d) != tc.missing {
				t.Errorf("missing = %q, want %q", missingNames(d), tc.missing)
			}
			if tc.reason != "" && !strings.Contains(strings.Join(d.Reasons, "|"), tc.reason) {
				t.Errorf("reasons = %q, want one containing %q", d.Reasons, tc.reason)
			}
			if tc.check != nil {
				tc.check(t, d)
			}
		})
	}
}

func TestEvaluateDirectoryErrorFailsClosed(t *testing.T) {
	p := mustParse(t, unitPolicy)
	d := p.Evaluate(Ticket{Summary: "need admin", Requester: "alice@example.com"}, failingDirectory{}, nil, now)
	if d.Verdict != Error || !strings.Contains(strings.Join(d.Reasons, ""), "503 service unavailable") {
		t.Fatalf("verdict %s reasons %q, want error with the directory's reason", d.Verdict, d.Reasons)
	}
	if d.Verdict.Allows() {
		t.Fatal("error verdict must not allow")
	}
}

func TestMandatoryRuleMustApply(t *testing.T) {
	p := mustParse(t, `
version: 1
classify:
  - {name: admin, when: "ticket.text.contains('admin')", category: privileged_access, impact: critical}
approvals:
  - name: privileged
    if: ticket.project == 'OPS'
    mandatory: true
    require: [{from: manager}]
  - name: catch-all
    if: "true"
`)
	d := p.Evaluate(Ticket{Summary: "admin", Project: "HR", Requester: "alice@example.com"}, dir(), nil, now)
	if d.Verdict != Error || !strings.Contains(strings.Join(d.Reasons, ""), `mandatory rule "privileged" does not apply`) {
		t.Fatalf("verdict %s reasons %q, want mandatory error", d.Verdict, d.Reasons)
	}
	d = p.Evaluate(Ticket{Summary: "admin", Project: "OPS", Requester: "alice@example.com"}, dir(), []Approval{approve("maria@example.com")}, now)
	if d.Verdict != Allowed {
		t.Fatalf("in-scope ticket with the rule applying: verdict %s %q", d.Verdict, d.Reasons)
	}
}

func TestExplanationFormat(t *testing.T) {
	p := mustParse(t, unitPolicy)
	d := p.Evaluate(Ticket{Summary: "need admin please", Requester: "alice@example.com"}, dir(), []Approval{approve("maria@example.com")}, now)
	var b strings.Builder
	d.Explanation.Format(&b)
	out := b.String()
	for _, want := range []string{
		"decision [failed] pending: waiting for group:security",
		"\n  classification [matched] privileged_access/critical",
		"\n    admin [matched] privileged_access/critical (matched=\"admin\")",
		"\n    grant [skipped] when is false",
		"\n  eligibility [passed]",
		"\n    privileged [failed] waiting for approvals",
		"\n      manager [passed] have 1 of 1: maria@example.com",
		"\n      maria@example.com [passed] counted for manager",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("explanation lacks %q:\n%s", want, out)
		}
	}
}

func TestAccessors(t *testing.T) {
	p := mustParse(t, unitPolicy)
	if p.Mode() != ModeEnforce {
		t.Errorf("mode = %q", p.Mode())
	}
	if !p.Gated("JIRA", "in progress") || p.Gated("jira", "Done") || p.Gated("servicenow", "approved") {
		t.Error("Gated: wrong answers")
	}
	if !strings.HasPrefix(p.Digest(), "sha256:") || len(p.Digest()) != 7+64 {
		t.Errorf("digest = %q", p.Digest())
	}
	r, ok := p.Rule("privileged")
	if !ok || r.MaxDuration != hours(8) || r.ApprovalValidFor != hours(72) || !r.Mandatory || r.Scope != defaultScope {
		t.Errorf("Rule(privileged) = %+v", r)
	}
	res := p.Resources()
	if len(res) != 2 || res[0].Name != "prod-db" || res[0].Owners[0] != "grace@example.com" || res[0].MaxDuration != hours(12) {
		t.Errorf("Resources = %+v", res)
	}
	if d := mustParse(t, "version: 1\n").Mode(); d != ModeAdvisory {
		t.Errorf("default mode = %q", d)
	}
}
