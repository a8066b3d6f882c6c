package bridge

import (
	"strings"
)

// Refusal is a comment that looked like an approval but cannot count.
type Refusal struct {
	Comment Comment `json:"comment"`
	Reason  string  `json:"reason"`
}

// ApprovalsFromComments reads `/approve` and `/deny <reason>` comments. The
// command must open the comment. A comment whose author the source could not
// map to a directory person is refused, never counted: an approval is only as
// good as the identity behind it.
func ApprovalsFromComments(t Ticket) (approvals []Approval, refused []Refusal) {
	for _, c := range t.Comments {
		if c.ByBridge {
			continue
		}
		decision, reason, ok := ParseApprovalCommand(c.Body)
		if !ok {
			continue
		}
		if c.Author == "" {
			refused = append(refused, Refusal{Comment: c, Reason: "the comment's author could not be matched to exactly one directory person"})
			continue
		}
		approvals = append(approvals, Approval{
			By:         c.Author,
			Decision:   decision,
			Reason:     reason,
			At:         c.Created,
			Channel:    t.Source + "_comment",
			SourceUser: c.AuthorID,
		})
	}
	return approvals, refused
}

// ParseApprovalCommand recognizes `/approve [note]` and `/deny <reason>` at
// the start of a comment (leading blank lines and wiki/markdown emphasis
// are tolerated). A deny without a reason still denies; the reason is empty.
func ParseApprovalCommand(body string) (decision, reason string, ok bool) {
	line := strings.TrimSpace(body)
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		reason = strings.TrimSpace(line[i+1:])
		line = strings.TrimSpace(line[:i])
	}
	line = strings.Trim(line, "*_{} ")
	word, rest, _ := strings.Cut(line, " ")
	switch strings.ToLower(word) {
	case "/approve", "/approved":
		return "approve", "", true
	case "/deny", "/denied", "/reject":
		if r := strings.TrimSpace(rest); r != "" {
			if reason != "" {
				r += "\n" + reason
			}
			reason = r
		}
		return "deny", reason, true
	}
	return "", "", false
}
