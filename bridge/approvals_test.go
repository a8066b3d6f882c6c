package bridge

import "testing"

func TestParseApprovalCommand(t *testing.T) {
	tests := []struct {
		body, decision, reason string
		ok                     bool
	}{
		{"/approve", "approve", "", true},
		{"  /APPROVE looks fine", "approve", "", true},
		{"\n*/approve*\n", "approve", "", true},
		{"/deny no business need", "deny", "no business need", true},
		{"/deny\nnot in my team", "deny", "not in my team", true},
		{"/deny", "deny", "", true},
		{"please /approve this", "", "", false},
		{"/approvefoo", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		d, r, ok := ParseApprovalCommand(tt.body)
		if d != tt.decision || r != tt.reason || ok != tt.ok {
			t.Errorf("ParseApprovalCommand(%q) = %q, %q, %v; want %q, %q, %v", tt.body, d, r, ok, tt.decision, tt.reason, tt.ok)
		}
	}
}

func TestApprovalsFromCommentsRefusesUnmappedAuthors(t *testing.T) {
	tk := Ticket{Source: "jira", Comments: []Comment{
		{ID: "1", Author: "maria.lopez@example.com", AuthorID: "u1", Body: "/approve"},
		{ID: "2", AuthorID: "u2", Body: "/approve"},
		{ID: "3", Author: "x@example.com", Body: "/deny", ByBridge: true},
		{ID: "4", Author: "li.wei@example.com", Body: "/deny too broad"},
	}}
	got, refused := ApprovalsFromComments(tk)
	if len(got) != 2 || got[0].By != "maria.lopez@example.com" || got[0].Channel != "jira_comment" || got[1].Decision != "deny" || got[1].Reason != "too broad" {
		t.Fatalf("approvals = %+v", got)
	}
	if len(refused) != 1 || refused[0].Comment.ID != "2" {
		t.Fatalf("refused = %+v", refused)
	}
}

func FuzzParseApprovalCommand(f *testing.F) {
	for _, s := range []string{"/approve", "/deny x\ny", "", "\n\n/deny"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		d, _, ok := ParseApprovalCommand(body)
		if ok != (d != "") {
			t.Fatalf("ok=%v but decision %q", ok, d)
		}
	})
}
