package pipeline

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/policy"
)

// Label names the bridge owns on a ticket; it never touches others.
const (
	LabelImpactPrefix  = "identity-impact-"
	LabelVerdictPrefix = "access-"
	LabelViolation     = "access-policy-violation"
	ActionNotify       = "notify" // handled by the Notifier, not the source
)

// verdictActions are the side effects of a verdict change: the one evidence
// comment (edited in place), the bridge's labels with the machine-readable
// evidence (one edit where the source allows), a revert of a gated
// transition and the chat notification.
func (p *Pipeline) verdictActions(t bridge.Ticket, d policy.Decision, ev bridge.Evidence, revert *bridge.Transition, pol *policy.Policy, prev string) []bridge.Action {
	ref := ev.Ticket
	violation := revert != nil
	out := []bridge.Action{
		{Kind: bridge.ActionComment, Ticket: ref, Digest: ev.Digest, Body: p.renderComment(d, ref)},
		{Kind: bridge.ActionEvidence, Ticket: ref, Digest: ev.Digest, Labels: labelsFor(d, violation), Property: evidenceProperty(ev, p.evidenceURL(ref))},
	}
	if violation && pol.Mode() == "enforce" && revert.To != "" {
		rev := bridge.Action{Kind: bridge.ActionRevert, Ticket: ref, Digest: ev.Digest + "@" + t.Updated.UTC().Format(time.RFC3339Nano), Revert: revert,
			Body: revertNotice(t, d, revert, ev)}
		out = append(out, rev)
	}
	if p.cfg.Notifier != nil && d.Verdict != policy.NotApplicable && string(d.Verdict) != prev {
		out = append(out, bridge.Action{Kind: ActionNotify, Ticket: ref, Digest: ev.Digest, Body: prev})
	}
	return out
}

func labelsFor(d policy.Decision, violation bool) []string {
	if d.Verdict == policy.NotApplicable {
		return nil // remove the bridge's labels from a ticket that lost identity impact
	}
	ls := []string{LabelImpactPrefix + d.Classification.Impact.String(), LabelVerdictPrefix + strings.ReplaceAll(string(d.Verdict), "_", "-")}
	if violation {
		ls = append(ls, LabelViolation)
	}
	return ls
}

// evidenceProperty is the machine-readable evidence put on the ticket.
func evidenceProperty(ev bridge.Evidence, url string) json.RawMessage {
	missing := make([]string, 0, len(ev.Decision.Missing))
	for _, m := range ev.Decision.Missing {
		missing = append(missing, m.Name)
	}
	b, _ := json.Marshal(map[string]any{
		"v": 1, "verdict": ev.Verdict, "digest": ev.Digest, "policyDigest": ev.PolicyDigest,
		"category": ev.Decision.Classification.Category, "impact": ev.Decision.Classification.Impact,
		"missing": missing, "approvers": ev.Decision.Approvers,
		"evaluatedAt": ev.EvaluatedAt.UTC().Format(time.RFC3339), "evidence": url,
	})
	return b
}

// renderComment is the helpdesk agent's view: one verdict line, what is
// missing or why it was denied, who approved, and where the evidence is.
func (p *Pipeline) renderComment(d policy.Decision, ref bridge.Ref) string {
	var b strings.Builder
	c := d.Classification
	fmt.Fprintf(&b, "Access policy verdict: %s\n", strings.ToUpper(strings.ReplaceAll(string(d.Verdict), "_", " ")))
	if c.Category != policy.CategoryNone {
		fmt.Fprintf(&b, "Identity impact: %s (%s)", c.Category, c.Impact)
		if e := c.Entitlement; e.Resource != "" {
			fmt.Fprintf(&b, " — %s", e.Resource)
			if e.Role != "" {
				fmt.Fprintf(&b, " / %s", e.Role)
			}
			if e.Duration > 0 {
				fmt.Fprintf(&b, " for %s", e.Duration)
			}
		}
		b.WriteString("\n")
	}
	if d.Rule != "" {
		fmt.Fprintf(&b, "Rule: %s\n", d.Rule)
	}
	for _, m := range d.Missing {
		fmt.Fprintf(&b, "Waiting on: %s\n", describeRequirement(m))
	}
	for _, r := range d.Reasons {
		fmt.Fprintf(&b, "Reason: %s\n", r)
	}
	if len(d.Approvers) > 0 {
		fmt.Fprintf(&b, "Approved by: %s\n", strings.Join(d.Approvers, ", "))
	}
	for _, a := range d.Invalidated {
		fmt.Fprintf(&b, "No longer counted: approval by %s was given before the request was changed\n", a.By)
	}
	if d.Exception != nil {
		fmt.Fprintf(&b, "Break-glass exception (%s): review due %s\n", d.Exception.Rule, d.Exception.ReviewDue.UTC().Format(time.RFC3339))
	}
	if !d.GrantUntil.IsZero() && d.Verdict == policy.Allowed {
		fmt.Fprintf(&b, "Access expires: %s\n", d.GrantUntil.UTC().Format(time.RFC3339))
	}
	if u := p.evidenceURL(ref); u != "" {
		fmt.Fprintf(&b, "Evidence: %s\n", u)
	}
	return strings.TrimRight(b.String(), "\n")
}

func describeRequirement(m policy.Requirement) string {
	s := m.Name
	if m.Count > 1 || m.Have > 0 {
		s = fmt.Sprintf("%d of %s (%d so far)", m.Count, m.Name, m.Have)
	}
	if len(m.Candidates) > 0 {
		s += " — " + strings.Join(m.Candidates, ", ")
	}
	return s
}

func revertNotice(t bridge.Ticket, d policy.Decision, r *bridge.Transition, ev bridge.Evidence) string {
	who := "someone"
	if a := ev.Extra["actor"]; a != "" {
		who = a
	}
	var why []string
	for _, m := range d.Missing {
		why = append(why, "missing "+describeRequirement(m))
	}
	why = append(why, d.Reasons...)
	if len(why) == 0 {
		why = append(why, "verdict is "+string(d.Verdict))
	}
	return fmt.Sprintf("Moved back from %q to %q: %s moved this ticket to a gated status without an allowed access verdict (%s).",
		r.From, r.To, who, strings.Join(why, "; "))
}
