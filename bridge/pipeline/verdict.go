package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/store"
	"github.com/accessbridge/accessbridge/policy"
)

// verdictDigest names what a person reading the ticket would see change:
// verdict, classification, who is missing, who approved, why denied. The
// policy digest is left out so a policy reload that changes no verdict
// posts nothing.
func verdictDigest(d policy.Decision) string {
	h := sha256.New()
	w := func(s string) { h.Write([]byte(s)); h.Write([]byte{0}) }
	w(string(d.Verdict))
	w(string(d.Classification.Category))
	w(d.Classification.Impact.String())
	w(d.Classification.Entitlement.Digest())
	w(d.Rule)
	for _, m := range d.Missing {
		w(m.Name + "/" + strconv.Itoa(m.Have) + "/" + strconv.Itoa(m.Count))
	}
	for _, r := range d.Reasons {
		w(r)
	}
	for _, a := range d.Approvers {
		w(a)
	}
	if d.Exception != nil {
		w("exception:" + d.Exception.Rule)
	}
	if !d.GrantUntil.IsZero() {
		w(d.GrantUntil.UTC().Truncate(time.Minute).Format(time.RFC3339))
	}
	return hex.EncodeToString(h.Sum(nil))[:20]
}

// actionsDigest keys one apply job: the verdict digest, plus the revert or
// reply digests that can differ under the same verdict.
func actionsDigest(digest string, actions []bridge.Action) string {
	for _, a := range actions {
		if a.Digest != digest {
			digest += "+" + a.Digest
		}
	}
	return digest
}

// closedStatuses are status names that end a ticket's life, across sources.
var closedStatuses = map[string]bool{
	"done": true, "closed": true, "resolved": true, "declined": true, "rejected": true,
	"cancelled": true, "canceled": true, "closed complete": true, "closed incomplete": true,
	"closed skipped": true, "won't do": true,
}

func isClosed(status string) bool { return closedStatuses[strings.ToLower(status)] }

// nextState is what the store keeps of a ticket after an evaluation.
// AllowedStatus is the last status outside the gates: where a revert goes
// back to, even when the ticket sat in a gated status with an allowed
// verdict that a later edit took away.
func nextState(pol *policy.Policy, t bridge.Ticket, d policy.Decision, prev store.TicketState, found bool, digest string, now time.Time) store.TicketState {
	s := prev
	if !found {
		s = store.TicketState{Source: t.Source, Key: t.Key, FirstSeen: now}
	}
	s.URL, s.Project, s.Summary, s.Requester = t.URL, t.Project, t.Summary, t.Requester
	s.Status = t.Status
	if !pol.Gated(t.Source, t.Status) {
		s.AllowedStatus = t.Status
	}
	if prev.Digest != digest || !found {
		s.DecidedAt = now
	}
	s.Verdict, s.Digest, s.Rule = string(d.Verdict), digest, d.Rule
	s.Category, s.Impact = string(d.Classification.Category), d.Classification.Impact.String()
	s.Missing = s.Missing[:0:0]
	for _, m := range d.Missing {
		s.Missing = append(s.Missing, m.Name)
	}
	s.Decision, _ = json.Marshal(d)
	s.Open = !isClosed(t.Status)
	s.Evaluations++
	s.CreatedAt = t.Created
	s.UpdatedAt = t.Updated
	return s
}

// revertFor decides whether a gated transition must be undone: the ticket
// sits in a gated status without a verdict that allows it. It goes back to
// the last status outside the gates the bridge saw, else to where the
// triggering transition came from. No known way back yields a transition
// with an empty To: the violation is labelled and recorded instead.
func revertFor(pol *policy.Policy, t bridge.Ticket, prev store.TicketState, found bool, d policy.Decision, a EvaluateArgs) *bridge.Transition {
	if d.Verdict.Allows() || !pol.Gated(t.Source, t.Status) {
		return nil
	}
	back := ""
	switch {
	case found && prev.AllowedStatus != "" && !strings.EqualFold(prev.AllowedStatus, t.Status):
		back = prev.AllowedStatus
	case a.Transition != nil && !pol.Gated(t.Source, a.Transition.From):
		back = a.Transition.From
	}
	return &bridge.Transition{From: t.Status, To: back}
}

func (p *Pipeline) evidence(t bridge.Ticket, d policy.Decision, approvals []policy.Approval, digest string, a EvaluateArgs, now time.Time) bridge.Evidence {
	d.Explanation = nil // the tree is re-derivable from the inputs; keep the record small
	ev := bridge.Evidence{
		Ticket: bridge.Ref{Source: t.Source, Key: t.Key}, URL: t.URL, Verdict: d.Verdict, Digest: digest,
		PolicyDigest: d.PolicyDigest, Decision: d, Approvals: approvals, Trigger: a.Trigger, EvaluatedAt: now,
	}
	if a.Actor.ID != "" || a.Actor.Email != "" {
		ev.Extra = map[string]string{"actor": firstNonEmpty(a.Actor.Email, a.Actor.Name, a.Actor.ID)}
	}
	return ev
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// evidenceURL is where a person can read the full evidence.
func (p *Pipeline) evidenceURL(ref bridge.Ref) string {
	if p.cfg.EvidenceURL == "" {
		return ""
	}
	u := strings.TrimRight(p.cfg.EvidenceURL, "/") + "/v1/tickets/" + ref.Source + "/" + ref.Key
	if len(p.cfg.EvidenceKey) > 0 {
		u += "?sig=" + p.linkSig(ref)
	}
	return u
}
