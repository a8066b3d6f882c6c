package policy

import "time"

// Decision is the policy's answer for one ticket: the verdict, what it rests
// on, and the explanation tree that shows every rule considered.
type Decision struct {
	Verdict        Verdict        `json:"verdict"`
	Classification Classification `json:"classification"`
	Rule           string         `json:"rule,omitempty"`      // the approval rule that applied
	Missing        []Requirement  `json:"missing,omitempty"`   // pending: who the requester waits on
	Reasons        []string       `json:"reasons,omitempty"`   // denied / error: why
	Approvers      []string       `json:"approvers,omitempty"` // approvals that counted, by directory email
	Invalidated    []Approval     `json:"invalidated,omitempty"`
	Exception      *Exception     `json:"exception,omitempty"`  // break-glass
	GrantUntil     time.Time      `json:"grant_until,omitzero"` // time-bound access: when the grant expires
	Channels       []string       `json:"channels,omitempty"`   // where approvals may be given (slack, ticket); empty = any
	Eligibility    []Check        `json:"eligibility,omitempty"`
	PolicyDigest   string         `json:"policy_digest"`
	Explanation    *Node          `json:"explanation,omitempty"`
}

// Requirement is one requirement group of an approval rule and how far it got.
type Requirement struct {
	Name       string   `json:"name"`                 // e.g. "manager", "group:security"
	From       []string `json:"from"`                 // approver sources as written in the policy
	Count      int      `json:"count"`                // approvals needed
	Have       int      `json:"have"`                 // approvals counted
	Candidates []string `json:"candidates,omitempty"` // resolved approver emails when the policy can name them (manager, user:, owner:)
}

// Check is the result of one eligibility rule.
type Check struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Reason string `json:"reason,omitempty"`
}

// Exception marks a verdict allowed by break-glass, with a review due.
type Exception struct {
	Rule      string    `json:"rule"`
	ReviewDue time.Time `json:"review_due"`
}

// Result of one node in the explanation tree.
type Result string

const (
	Matched Result = "matched"
	Skipped Result = "skipped"
	Failed  Result = "failed"
	Passed  Result = "passed"
)

// Node is one rule (or requirement) in the explanation tree.
type Node struct {
	Name     string            `json:"name"`
	Kind     string            `json:"kind"` // decision, classify, eligibility, approval, requirement
	Result   Result            `json:"result"`
	Reason   string            `json:"reason,omitempty"`
	Values   map[string]string `json:"values,omitempty"`
	Children []*Node           `json:"children,omitempty"`
}

// Directory is what evaluation needs from HR/directory data. An error means
// the directory could not answer; evaluation then fails closed.
type Directory interface {
	Person(email string) (p Person, found bool, err error)
}
