package policy

import "strings"

// Compiled forms of the policy's sections.

type classifyRule struct {
	name     string
	label    string // "category/impact", for explanations
	when     *expr
	category Category
	impact   Impact
}

type eligibilityRule struct {
	name    string
	cond    *expr // optional "if"
	require *expr
	message string
}

type approvalRule struct {
	ApprovalRule
	cond   *expr // nil: applies to every identity ticket
	scope  *expr // mandatory rules: the tickets it must cover
	groups []reqGroup
}

type reqGroup struct {
	RequirementGroup
	sources []source
}

// Entitlement parts that extraction fills.
const (
	partResource = iota
	partRole
	partDuration
	partSubject
	partJustification
	nParts
)

var (
	partNames     = [nParts]string{"resource", "role", "duration", "subject", "justification"}
	partFromNames = [nParts]string{"resource.from", "role.from", "duration.from", "subject.from", "justification.from"}
)

type extractSpec struct {
	fields   [nParts]string // ticket.Fields key per part
	patterns []extractPattern
}

type extractPattern struct {
	name  string
	label string // `pattern "name"`, for explanations
	re    *litRegexp
	idx   [nParts]int // sub-match index per part; 0 = not captured
}

// Approver source kinds.
type srcKind int

const (
	srcManager          srcKind = iota // the subject's manager (NHI: the owner's manager)
	srcRequesterManager                // the requester's manager
	srcOwner                           // NHI: the subject's owner
	srcGroup                           // group:NAME
	srcUser                            // user:EMAIL
	srcResourceOwner                   // owner:RESOURCE
)

type source struct {
	kind srcKind
	arg  string
	raw  string
}

// parseSource reads an approver source as written in a policy.
func parseSource(s string) (source, bool) {
	raw := strings.TrimSpace(s)
	switch raw {
	case "manager":
		return source{kind: srcManager, raw: raw}, true
	case "requester_manager":
		return source{kind: srcRequesterManager, raw: raw}, true
	case "owner":
		return source{kind: srcOwner, raw: raw}, true
	}
	kind, arg, ok := strings.Cut(raw, ":")
	arg = strings.TrimSpace(arg)
	if !ok || arg == "" {
		return source{}, false
	}
	switch kind {
	case "group":
		return source{kind: srcGroup, arg: arg, raw: raw}, true
	case "user":
		if !strings.Contains(arg, "@") {
			return source{}, false
		}
		return source{kind: srcUser, arg: strings.ToLower(arg), raw: raw}, true
	case "owner":
		return source{kind: srcResourceOwner, arg: arg, raw: raw}, true
	}
	return source{}, false
}

var validCategories = []Category{CategoryNone, AccessGrant, AccessRevoke, PrivilegedAccess, CredentialReset, NHILifecycle}

func parseCategory(s string) (Category, bool) {
	for _, c := range validCategories {
		if string(c) == s {
			return c, true
		}
	}
	return "", false
}
