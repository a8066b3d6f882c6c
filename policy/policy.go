// Package policy is accessbridge's pure policy engine: it loads YAML policy
// files with CEL conditions, classifies tickets by identity impact, checks
// eligibility against directory data, holds approvals against the approval
// rules and explains every decision as a tree. It does no I/O beyond reading
// policy files in Load.
package policy

import (
	"slices"
	"strings"
	"time"
)

// Modes of enforcement.
const (
	ModeEnforce  = "enforce"  // comment, label, and block/revert gated transitions
	ModeAdvisory = "advisory" // comment only (the default)
	ModeDryRun   = "dry-run"  // record only
)

// Policy is a loaded, compiled policy. It is immutable and safe for
// concurrent use.
type Policy struct {
	mode        string
	resources   []Resource
	resByName   map[string]int // lower-case name → index
	resPhrases  phraseIndex    // names and aliases → resource index
	rolePhrases []phraseIndex  // per resource: roles → role index
	words       *vocab         // words of the mentions() phrases
	extract     extractSpec
	classify    []*classifyRule
	eligibility []*eligibilityRule
	approvals   []*approvalRule
	gates       map[string][]string // lower-case source → lower-case statuses
	tests       []TestCase
	digest      string
	nodeHint    [2]int // explanation nodes of classification, and of the later stages but requirements and votes
	files       []string
}

// Resource is one entry of the resource catalog.
type Resource struct {
	Name        string        `json:"name"`
	Description string        `json:"description,omitempty"`
	Roles       []string      `json:"roles,omitempty"`
	Owners      []string      `json:"owners,omitempty"`
	MaxDuration time.Duration `json:"max_duration,omitempty"`
	Aliases     []string      `json:"aliases,omitempty"`
}

// RequirementGroup is one AND-ed group of an approval rule: Count approvals
// from anyone matching one of From.
type RequirementGroup struct {
	Name  string   `json:"name"`
	From  []string `json:"from"`
	Count int      `json:"count"`
}

// ApprovalRule is the exported view of one approval rule, for the lifecycle
// jobs (reminders, escalation, SLA) and for display.
type ApprovalRule struct {
	Name              string             `json:"name"`
	If                string             `json:"if,omitempty"`
	Require           []RequirementGroup `json:"require,omitempty"`
	SelfApproval      bool               `json:"self_approval,omitempty"`
	AllowSameApprover bool               `json:"allow_same_approver,omitempty"`
	ApprovalValidFor  time.Duration      `json:"approval_valid_for,omitempty"`
	MaxDuration       time.Duration      `json:"max_duration,omitempty"`
	Mandatory         bool               `json:"mandatory,omitempty"`
	Scope             string             `json:"scope,omitempty"`
	BreakGlass        bool               `json:"break_glass,omitempty"`
	ReviewWithin      time.Duration      `json:"review_within,omitempty"`
	SLA               time.Duration      `json:"sla,omitempty"`
	Channels          []string           `json:"channels,omitempty"`
	RemindAfter       time.Duration      `json:"remind_after,omitempty"`
	EscalateAfter     time.Duration      `json:"escalate_after,omitempty"`
	EscalateTo        string             `json:"escalate_to,omitempty"`
	File              string             `json:"file"`
	Line              int                `json:"line"`
}

// Digest identifies the policy: "sha256:<hex>" over the bytes of the policy
// files in load order (files holding only tests and people are left out).
func (p *Policy) Digest() string { return p.digest }

// Mode is enforce, advisory or dry-run; advisory when the policy says nothing.
func (p *Policy) Mode() string { return p.mode }

// Files lists the files the policy was loaded from.
func (p *Policy) Files() []string { return slices.Clone(p.files) }

// Gated reports whether moving a ticket of source into status needs an
// allowed verdict. Source and status names compare case-insensitively.
func (p *Policy) Gated(source, status string) bool {
	for _, s := range p.gates[strings.ToLower(source)] {
		if strings.EqualFold(s, status) {
			return true
		}
	}
	return false
}

// Resources returns the resource catalog.
func (p *Policy) Resources() []Resource {
	out := make([]Resource, len(p.resources))
	for i, r := range p.resources {
		out[i] = r
		out[i].Roles = slices.Clone(r.Roles)
		out[i].Owners = slices.Clone(r.Owners)
		out[i].Aliases = slices.Clone(r.Aliases)
	}
	return out
}

// Resource looks a catalog entry up by name or alias, case-insensitively.
func (p *Policy) Resource(name string) (Resource, bool) {
	i, ok := p.resByName[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return Resource{}, false
	}
	return p.resources[i], true
}

// Rule returns the approval rule called name.
func (p *Policy) Rule(name string) (ApprovalRule, bool) {
	for _, r := range p.approvals {
		if r.Name == name {
			return r.view(), true
		}
	}
	return ApprovalRule{}, false
}

// Rules returns every approval rule in policy order.
func (p *Policy) Rules() []ApprovalRule {
	out := make([]ApprovalRule, len(p.approvals))
	for i, r := range p.approvals {
		out[i] = r.view()
	}
	return out
}

// Tests returns the policy test cases from all loaded files.
func (p *Policy) Tests() []TestCase { return slices.Clone(p.tests) }

func (r *approvalRule) view() ApprovalRule {
	v := r.ApprovalRule
	v.Require = slices.Clone(v.Require)
	v.Channels = slices.Clone(v.Channels)
	return v
}
