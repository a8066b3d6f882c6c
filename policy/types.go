package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// The value types the policy reasons about. They live here, not in bridge/,
// because policy is the innermost package (bridge imports policy, never the
// reverse); bridge re-exports them under the same names.

// Category is the kind of identity change a ticket asks for.
type Category string

const (
	CategoryNone     Category = "none"
	AccessGrant      Category = "access_grant"
	AccessRevoke     Category = "access_revoke"
	PrivilegedAccess Category = "privileged_access"
	CredentialReset  Category = "credential_reset"
	NHILifecycle     Category = "nhi_lifecycle"
)

// Impact orders how risky an identity change is; higher wins.
type Impact int

const (
	ImpactNone Impact = iota
	ImpactLow
	ImpactMedium
	ImpactHigh
	ImpactCritical
)

var impactNames = [...]string{"none", "low", "medium", "high", "critical"}

func (i Impact) String() string {
	if i < 0 || int(i) >= len(impactNames) {
		return "impact(" + strconv.Itoa(int(i)) + ")"
	}
	return impactNames[i]
}

// ParseImpact maps a name to an Impact.
func ParseImpact(s string) (Impact, bool) {
	for i, n := range impactNames {
		if n == s {
			return Impact(i), true
		}
	}
	return ImpactNone, false
}

func (i Impact) MarshalText() ([]byte, error) { return []byte(i.String()), nil }

func (i *Impact) UnmarshalText(b []byte) error {
	v, ok := ParseImpact(string(b))
	if !ok {
		return &unknownImpactError{string(b)}
	}
	*i = v
	return nil
}

type unknownImpactError struct{ name string }

func (e *unknownImpactError) Error() string {
	return "unknown impact " + strconv.Quote(e.name) + " (want none, low, medium, high or critical)"
}

// Ticket is the normalized view of one issue / request item / GitHub issue.
type Ticket struct {
	Source      string            `json:"source"`
	Key         string            `json:"key"`
	ID          string            `json:"id,omitempty"`
	URL         string            `json:"url,omitempty"`
	Project     string            `json:"project,omitempty"`
	Type        string            `json:"type,omitempty"`
	Status      string            `json:"status,omitempty"`
	Summary     string            `json:"summary"`
	Description string            `json:"description,omitempty"`
	Requester   string            `json:"requester"`         // directory email of who asked
	Subject     string            `json:"subject,omitempty"` // whose access changes; empty = requester
	Assignee    string            `json:"assignee,omitempty"`
	Labels      []string          `json:"labels,omitempty"`
	Components  []string          `json:"components,omitempty"`
	Priority    string            `json:"priority,omitempty"`
	Fields      map[string]string `json:"fields,omitempty"` // custom fields by mapped name (resource, role, duration, justification, …)
	Created     time.Time         `json:"created,omitzero"`
	Updated     time.Time         `json:"updated,omitzero"`
	Comments    []Comment         `json:"comments,omitempty"`
}

// Comment is one comment on a ticket. Author is the directory email the
// source verified, empty when the source user could not be mapped.
type Comment struct {
	ID       string    `json:"id,omitempty"`
	Author   string    `json:"author,omitempty"`
	AuthorID string    `json:"author_id,omitempty"` // the source's own user id (Jira accountId, Slack user id)
	Body     string    `json:"body"`
	Created  time.Time `json:"created,omitzero"`
	ByBridge bool      `json:"by_bridge,omitempty"`
}

// Person is a directory entry: a human or a non-human identity.
type Person struct {
	Email          string        `json:"email" yaml:"email"`
	Name           string        `json:"name,omitempty" yaml:"name,omitempty"`
	Active         bool          `json:"active" yaml:"active"`
	EmploymentType string        `json:"employment_type,omitempty" yaml:"employment_type,omitempty"` // employee, contractor, intern, service_account, api_key, token
	Department     string        `json:"department,omitempty" yaml:"department,omitempty"`
	Title          string        `json:"title,omitempty" yaml:"title,omitempty"`
	Manager        string        `json:"manager,omitempty" yaml:"manager,omitempty"` // manager's email
	Groups         []string      `json:"groups,omitempty" yaml:"groups,omitempty"`
	StartDate      time.Time     `json:"start_date,omitzero" yaml:"start_date,omitempty"`
	EndDate        time.Time     `json:"end_date,omitzero" yaml:"end_date,omitempty"`
	Owner          string        `json:"owner,omitempty" yaml:"owner,omitempty"`     // NHI: the accountable human's email
	Purpose        string        `json:"purpose,omitempty" yaml:"purpose,omitempty"` // NHI: why it exists
	Expiry         time.Time     `json:"expiry,omitzero" yaml:"expiry,omitempty"`    // NHI: when it must be retired
	Rotation       time.Duration `json:"rotation,omitempty" yaml:"rotation,omitempty"`
}

// NonHuman reports whether p is a service account, API key or token.
func (p Person) NonHuman() bool {
	switch p.EmploymentType {
	case "service_account", "api_key", "token", "bot":
		return true
	}
	return false
}

// InGroup reports whether p is a member of group g.
func (p Person) InGroup(g string) bool {
	for _, x := range p.Groups {
		if x == g {
			return true
		}
	}
	return false
}

// Decision values of an Approval.
const (
	Approve = "approve"
	Deny    = "deny"
)

// Approval is one approve/deny by a verified directory person.
type Approval struct {
	By         string    `json:"by"`                    // verified directory email
	Decision   string    `json:"decision,omitempty"`    // approve (default) or deny
	Reason     string    `json:"reason,omitempty"`      // why denied
	At         time.Time `json:"at,omitzero"`           // when given
	Channel    string    `json:"channel,omitempty"`     // jira_comment, slack, servicenow, github_comment
	SourceUser string    `json:"source_user,omitempty"` // identity in that channel, before mapping
	Digest     string    `json:"digest,omitempty"`      // entitlement digest the approver saw; empty = current
}

// Denies reports whether a is a deny.
func (a Approval) Denies() bool { return a.Decision == Deny }

// Entitlement is what a ticket asks for, extracted by classification.
type Entitlement struct {
	Resource      string        `json:"resource,omitempty"`
	Role          string        `json:"role,omitempty"`
	Duration      time.Duration `json:"duration,omitempty"`
	Subject       string        `json:"subject,omitempty"`
	Justification string        `json:"justification,omitempty"`
}

// Digest binds approvals to what was asked: any change of resource, role,
// duration or subject yields a different digest and invalidates approvals.
func (e Entitlement) Digest() string {
	h := sha256.New()
	for _, s := range []string{e.Resource, e.Role, strconv.FormatInt(int64(e.Duration), 10), e.Subject} {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))[:16]
}

// Classification is category + impact + entitlement + the rules that matched.
type Classification struct {
	Category    Category    `json:"category"`
	Impact      Impact      `json:"impact"`
	Entitlement Entitlement `json:"entitlement"`
	Matched     []string    `json:"matched,omitempty"`
}

// Verdict is the outcome of evaluating a ticket.
type Verdict string

const (
	Allowed       Verdict = "allowed"
	Pending       Verdict = "pending"
	Denied        Verdict = "denied"
	NotApplicable Verdict = "not_applicable"
	Error         Verdict = "error"
)

// Allows reports whether v lets a gated transition through; error never does.
func (v Verdict) Allows() bool { return v == Allowed || v == NotApplicable }
