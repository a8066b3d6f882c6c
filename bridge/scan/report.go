package scan

import (
	"time"

	"github.com/accessbridge/accessbridge/policy"
)

// Schema names the version of the JSON report; it changes only when a field
// changes meaning or disappears.
const Schema = "accessbridge.scan/v1"

// Report is the governance report over every ticket scanned.
type Report struct {
	Schema       string           `json:"schema"`
	Source       string           `json:"source,omitempty"` // the export scanned, set by the caller
	AsOf         time.Time        `json:"as_of"`
	PolicyDigest string           `json:"policy_digest"`
	PolicyMode   string           `json:"policy_mode"`
	Totals       Totals           `json:"totals"`
	Categories   []CategoryCount  `json:"categories"`
	Verdicts     []Count          `json:"verdicts"`
	ByKind       []Count          `json:"violations_by_kind"`
	Violations   []Violation      `json:"violations"`
	Waiting      []Waiting        `json:"waiting"`
	Exceptions   []ExceptionEntry `json:"exceptions"`
}

// Totals are the headline figures.
type Totals struct {
	Tickets               int `json:"tickets"`
	Identity              int `json:"identity_tickets"`
	NotIdentity           int `json:"other_tickets"`
	Completed             int `json:"completed"`  // identity tickets carried out
	Declined              int `json:"declined"`   // identity tickets closed without being carried out
	Open                  int `json:"open"`       // identity tickets still open
	Violations            int `json:"violations"` // findings
	TicketsWithViolations int `json:"tickets_with_violations"`
	Waiting               int `json:"waiting_on_approvals"`
	Exceptions            int `json:"break_glass"`
	ExceptionsOverdue     int `json:"break_glass_review_overdue"`
	RefusedComments       int `json:"refused_approval_comments"` // /approve or /deny by an author not mapped to the directory
}

// Count is one named figure.
type Count struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// CategoryCount is how many identity tickets of one category there were,
// by impact.
type CategoryCount struct {
	Category policy.Category `json:"category"`
	Total    int             `json:"total"`
	ByImpact []Count         `json:"by_impact"` // none … critical, always all five
}

// Waiting is an open identity ticket waiting on approvals.
type Waiting struct {
	Key       string               `json:"key"`
	Status    string               `json:"status"`
	Category  policy.Category      `json:"category"`
	Impact    policy.Impact        `json:"impact"`
	Rule      string               `json:"rule,omitempty"`
	Requester string               `json:"requester"`
	Created   time.Time            `json:"created,omitzero"`
	AgeHours  int                  `json:"age_hours,omitempty"`
	WaitingOn []policy.Requirement `json:"waiting_on"`
}

// ExceptionEntry is a ticket allowed by break-glass, due for review.
type ExceptionEntry struct {
	Key       string    `json:"key"`
	Status    string    `json:"status"`
	Rule      string    `json:"rule"`
	Requester string    `json:"requester"`
	ReviewDue time.Time `json:"review_due"`
	Overdue   bool      `json:"overdue"`
}

// Row is one ticket's line in the CSV report.
type Row struct {
	Key        string
	Status     string
	Category   policy.Category
	Impact     policy.Impact
	Verdict    policy.Verdict
	Rule       string
	Missing    []string // requirement names the ticket waits on
	Violations []Kind
}

func newRow(t policy.Ticket, d policy.Decision, found []Violation) Row {
	r := Row{
		Key: t.Key, Status: t.Status, Category: d.Classification.Category,
		Impact: d.Classification.Impact, Verdict: d.Verdict, Rule: d.Rule,
	}
	if r.Category == "" {
		r.Category = policy.CategoryNone
	}
	for _, m := range d.Missing {
		r.Missing = append(r.Missing, m.Name)
	}
	for _, v := range found {
		r.Violations = appendUnique(r.Violations, v.Kind)
	}
	return r
}

func appendUnique(ks []Kind, k Kind) []Kind {
	for _, x := range ks {
		if x == k {
			return ks
		}
	}
	return append(ks, k)
}
