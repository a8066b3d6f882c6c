// Package bridge is the core of accessbridge: the domain vocabulary, the
// pipeline that turns source events into verdicts and actions, the durable
// jobs that run it, and the HTTP server. It imports no vendor SDK.
package bridge

import (
	"encoding/json"
	"time"

	"github.com/accessbridge/accessbridge/policy"
)

// The policy's value types, under the bridge's vocabulary.
type (
	Ticket         = policy.Ticket
	Comment        = policy.Comment
	Person         = policy.Person
	Approval       = policy.Approval
	Classification = policy.Classification
	Entitlement    = policy.Entitlement
	Verdict        = policy.Verdict
	Decision       = policy.Decision
	Category       = policy.Category
	Impact         = policy.Impact
)

// Ref names one ticket in one source.
type Ref struct {
	Source string `json:"source"`
	Key    string `json:"key"`
}

func (r Ref) String() string { return r.Source + ":" + r.Key }

// Event kinds.
const (
	EventCreated      = "created"
	EventUpdated      = "updated"
	EventTransitioned = "transitioned"
	EventCommented    = "commented"
	EventDeleted      = "deleted"
)

// Actor is who made a change, as the source knows them.
type Actor struct {
	ID    string `json:"id,omitempty"`    // source user id (Jira accountId, GitHub login)
	Email string `json:"email,omitempty"` // directory email when the source exposes or maps it
	Name  string `json:"name,omitempty"`
}

// Event is one normalized change to a ticket. A webhook or a poll yields
// events; each only triggers an evaluation, which re-reads the ticket.
type Event struct {
	Source     string      `json:"source"`
	DeliveryID string      `json:"delivery_id"` // dedupe key: upstream delivery id, or source+key+revision for polls
	Key        string      `json:"key"`
	Kind       string      `json:"kind"`
	Actor      Actor       `json:"actor"`
	ByBridge   bool        `json:"by_bridge,omitempty"` // the change was the bridge's own (account or marker)
	Transition *Transition `json:"transition,omitempty"`
	Revision   string      `json:"revision,omitempty"` // source's notion of the ticket version (updated time, sys_mod_count)
	At         time.Time   `json:"at"`
}

// Ref returns the ticket the event is about.
func (e Event) Ref() Ref { return Ref{Source: e.Source, Key: e.Key} }

// Transition is a status change.
type Transition struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Action kinds a source applies.
const (
	ActionComment  = "comment"  // upsert the bridge's one evidence comment
	ActionReply    = "reply"    // a new comment answering a person (refused approval, revert notice)
	ActionLabel    = "label"    // set the bridge's own labels
	ActionProperty = "property" // machine-readable evidence
	ActionRevert   = "revert"   // move the ticket back from a gated status
	ActionEvidence = "evidence" // the bridge's labels and its machine-readable evidence, in one edit where the source allows
)

// Action is a side effect on a ticket. It is idempotent by
// (ticket, verdict digest, kind): IdempotencyKey names that triple.
type Action struct {
	Kind     string          `json:"kind"`
	Ticket   Ref             `json:"ticket"`
	Digest   string          `json:"digest"` // verdict digest that caused it
	Body     string          `json:"body,omitempty"`
	Labels   []string        `json:"labels,omitempty"`   // the complete set of the bridge's labels to have
	Property json.RawMessage `json:"property,omitempty"` // evidence JSON
	Revert   *Transition     `json:"revert,omitempty"`   // From = gated status now, To = status to go back to
	// Retry is set when the job carrying the action runs again (a retry or
	// a rescue after a crash): the previous attempt may have been applied
	// upstream without its answer being seen, so adapters re-read first.
	Retry bool `json:"-"`
}

// IdempotencyKey is the key under which an action is done at most once.
func (a Action) IdempotencyKey() string {
	return a.Ticket.String() + "|" + a.Digest + "|" + a.Kind
}

// ActionResult is what the upstream answered.
type ActionResult struct {
	ID     string `json:"id,omitempty"` // e.g. the comment id
	Detail string `json:"detail,omitempty"`
}

// Evidence is a verdict with its inputs, as recorded in the audit log and
// mirrored onto the ticket.
type Evidence struct {
	Ticket       Ref               `json:"ticket"`
	URL          string            `json:"url,omitempty"`
	Verdict      Verdict           `json:"verdict"`
	Digest       string            `json:"digest"` // verdict digest
	PolicyDigest string            `json:"policy_digest"`
	Decision     Decision          `json:"decision"`
	Requester    *Person           `json:"requester,omitempty"` // eligibility snapshot
	Subject      *Person           `json:"subject,omitempty"`
	Approvals    []Approval        `json:"approvals,omitempty"`
	Actions      []ActionRecord    `json:"actions,omitempty"`
	Trigger      string            `json:"trigger,omitempty"` // delivery id or "reconcile"
	EvaluatedAt  time.Time         `json:"evaluated_at"`
	Extra        map[string]string `json:"extra,omitempty"`
}

// ActionRecord is an action taken and what the upstream said.
type ActionRecord struct {
	Kind   string       `json:"kind"`
	Result ActionResult `json:"result"`
	Error  string       `json:"error,omitempty"`
	At     time.Time    `json:"at"`
}

// Grant is an allowed access change, tracked until revoked.
type Grant struct {
	ID          int64       `json:"id"`
	Ticket      Ref         `json:"ticket"`
	Subject     string      `json:"subject"`
	Entitlement Entitlement `json:"entitlement"`
	GrantedAt   time.Time   `json:"granted_at"`
	ExpiresAt   time.Time   `json:"expires_at,omitzero"`
	RevokedAt   time.Time   `json:"revoked_at,omitzero"`
}

// Message is a chat message the bridge sent about a ticket and may update
// in place (an approver's Approve/Deny message, the requester's status DM).
type Message struct {
	Ticket  Ref       `json:"ticket"`
	Person  string    `json:"person"`  // directory email of the recipient
	Kind    string    `json:"kind"`    // approval, requester
	Channel string    `json:"channel"` // chat channel / DM id
	TS      string    `json:"ts"`      // chat message id
	SentAt  time.Time `json:"sent_at"`
}
