package pipeline

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/audit"
	"github.com/accessbridge/accessbridge/policy"
)

// GateAnswer is the synchronous allow/deny for a proposed transition.
type GateAnswer struct {
	Allow    bool                 `json:"allow"`
	Verdict  policy.Verdict       `json:"verdict"`
	Reasons  []string             `json:"reasons,omitempty"`
	Missing  []policy.Requirement `json:"missing,omitempty"`
	Evidence string               `json:"evidence,omitempty"`
}

// Gate answers whether ticket ref may move to status to. It re-reads the
// ticket and evaluates it now (a cached verdict could be stale), records the
// answer in the audit log, and fails closed on any error.
func (p *Pipeline) Gate(ctx context.Context, ref bridge.Ref, to string) (GateAnswer, error) {
	pol := p.cfg.Policy.Get()
	if !pol.Gated(ref.Source, to) {
		return GateAnswer{Allow: true, Verdict: policy.NotApplicable, Reasons: []string{fmt.Sprintf("status %q is not gated", to)}}, nil
	}
	src, err := p.source(ref.Source)
	if err != nil {
		return GateAnswer{Verdict: policy.Error, Reasons: []string{err.Error()}}, err
	}
	t, err := src.Fetch(ctx, ref.Key)
	if err == nil {
		err = p.verifiedRequester(ctx, &t)
	}
	if err != nil {
		return GateAnswer{Verdict: policy.Error, Reasons: []string{"ticket could not be read: " + err.Error()}}, err
	}
	stored, err := p.cfg.Store.Approvals(ctx, p.cfg.Store.ReadDB(), ref)
	if err != nil {
		return GateAnswer{Verdict: policy.Error, Reasons: []string{"approvals could not be read"}}, err
	}
	fromComments, _ := bridge.ApprovalsFromComments(t)
	for _, c := range fromComments {
		if !containsApproval(stored, c) {
			stored = append(stored, c) // not yet bound to a digest: counts for the request as it is now
		}
	}
	now := p.cfg.Now()
	d := pol.Evaluate(t, dirView{ctx: ctx, dir: p.cfg.Directory}, stored, now)
	ans := GateAnswer{Allow: d.Verdict.Allows(), Verdict: d.Verdict, Reasons: d.Reasons, Missing: d.Missing, Evidence: p.evidenceURL(ref)}
	err = p.cfg.Store.InTx(ctx, func(tx *sql.Tx) error {
		return p.audit(ctx, tx, "gate", ref, now, map[string]any{"to": to, "answer": ans, "policy_digest": d.PolicyDigest, "classification": d.Classification})
	})
	if err != nil {
		return GateAnswer{Verdict: policy.Error, Reasons: []string{"the gate answer could not be recorded"}}, err
	}
	p.metrics.gate(ans.Allow)
	return ans, nil
}

// Evidence returns the last recorded evidence of a ticket.
func (p *Pipeline) Evidence(ctx context.Context, ref bridge.Ref) (bridge.Evidence, error) {
	v, err := p.View(ctx, ref)
	if err != nil {
		return bridge.Evidence{}, err
	}
	d := v.Decision
	return bridge.Evidence{Ticket: ref, URL: v.State.URL, Verdict: d.Verdict, Digest: v.State.Digest, PolicyDigest: d.PolicyDigest,
		Decision: d, Approvals: v.Approvals, EvaluatedAt: v.State.DecidedAt}, nil
}

// EnqueueAdapter inserts durable adapter work (see Worker).
func (p *Pipeline) EnqueueAdapter(ctx context.Context, kind string, payload []byte) error {
	_, err := p.river.Insert(ctx, AdapterArgs{Kind_: kind, Payload: payload}, nil)
	return err
}

// Evaluate enqueues an evaluation of ref now (after a Slack approval, say).
func (p *Pipeline) Evaluate(ctx context.Context, ref bridge.Ref, trigger string) error {
	_, err := p.river.Insert(ctx, EvaluateArgs{Source: ref.Source, Key: ref.Key, Revision: trigger, Trigger: trigger}, nil)
	return err
}

func jsonUnmarshal(b []byte, v any) error {
	if len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, v)
}

// AuditRecords lists the audit records of one ticket, oldest first.
func (p *Pipeline) AuditRecords(ctx context.Context, ref bridge.Ref) ([]audit.Record, error) {
	return p.cfg.Audit.Records(ctx, ref)
}

// EvidenceLinkValid checks the signature of an evidence link.
func (p *Pipeline) EvidenceLinkValid(ref bridge.Ref, sig string) bool {
	if len(p.cfg.EvidenceKey) == 0 || sig == "" {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(p.linkSig(ref)))
}

func (p *Pipeline) linkSig(ref bridge.Ref) string {
	m := hmac.New(sha256.New, p.cfg.EvidenceKey)
	m.Write([]byte(ref.String()))
	return hex.EncodeToString(m.Sum(nil))[:32]
}
