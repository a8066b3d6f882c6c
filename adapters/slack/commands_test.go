package slack

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/accessbridge/accessbridge/bridge"
)

func TestParseCommand(t *testing.T) {
	good := []struct {
		text string
		want command
	}{
		{"", command{kind: cmdModal}},
		{"help", command{kind: cmdHelp}},
		{"  MINE ", command{kind: cmdMine}},
		{"status", command{kind: cmdStatus}},
		{"status ACC-17", command{kind: cmdStatus, ref: &bridge.Ref{Source: "jira", Key: "ACC-17"}}},
		{"status servicenow:RITM0010", command{kind: cmdStatus, ref: &bridge.Ref{Source: "servicenow", Key: "RITM0010"}}},
		{"request vpn", command{kind: cmdRequest, req: accessRequest{Resource: "vpn", Role: "user"}}},
		{"request wiki", command{kind: cmdRequest, req: accessRequest{Resource: "wiki"}}},
		{"request prod-db read", command{kind: cmdRequest, req: accessRequest{Resource: "prod-db", Role: "read"}}},
		{"request prod database read", command{kind: cmdRequest, req: accessRequest{Resource: "prod-db", Role: "read"}}},
		{"request PG Admin for 8h", command{kind: cmdRequest, req: accessRequest{Resource: "prod-db", Role: "admin", Duration: "8h"}}},
		{"request prod-db read for 2 days", command{kind: cmdRequest, req: accessRequest{Resource: "prod-db", Role: "read", Duration: "2d"}}},
		{"request prod-db read for 90m because  INC-42:  disk full", command{kind: cmdRequest,
			req: accessRequest{Resource: "prod-db", Role: "read", Duration: "1h30m", Justification: "INC-42:  disk full"}}},
		{"request prod-db read because debugging for real", command{kind: cmdRequest,
			req: accessRequest{Resource: "prod-db", Role: "read", Justification: "debugging for real"}}},
		{"request prod-db read for 1 week", command{kind: cmdRequest, req: accessRequest{Resource: "prod-db", Role: "read", Duration: "7d"}}},
	}
	for _, tc := range good {
		got, err := parseCommand(tc.text, testCatalog, "jira")
		if err != nil {
			t.Errorf("%q: %v", tc.text, err)
			continue
		}
		if g, w := mustJSON(got), mustJSON(tc.want); g != w || got.kind != tc.want.kind {
			t.Errorf("%q: got %+v %s, want %+v %s", tc.text, got, g, tc.want, w)
		}
	}
	bad := []struct{ text, want string }{
		{"fly", "Unknown subcommand `fly`"},
		{"request", "Name the resource you need: `prod-db`, `vpn`, `wiki`"},
		{"request nosuch", "Unknown resource `nosuch`"},
		{"request prod-db", "Choose a role of prod-db: read, admin"},
		{"request prod-db root", "`root` is not a role of prod-db (roles: read, admin)"},
		{"request wiki editor", "wiki has no roles"},
		{"request prod-db read for", "Say how long after `for`"},
		{"request prod-db read for ever", "`ever` is not a duration"},
		{"request prod-db read for 30d", "prod-db can be granted for at most 7d"},
		{"request prod-db read for 0s", "at least a minute"},
		{"request prod-db read because", "Say why after `because`"},
		{"request prod-db read now please", "Unexpected `now`"},
		{"request prod-db read for 8h for 9h", "Unexpected `for`"},
		{"status ACC 17", "`status` takes one ticket key"},
		{"status <b>", "is not a ticket key"},
		{"mine all", "`mine` takes no arguments"},
		{"request <!channel>", "Unknown resource `&lt;!channel&gt;`"},
	}
	for _, tc := range bad {
		_, err := parseCommand(tc.text, testCatalog, "jira")
		var ue *usageError
		if !errors.As(err, &ue) || !strings.Contains(ue.msg, tc.want) {
			t.Errorf("%q: err = %v, want it to contain %q", tc.text, err, tc.want)
		}
	}
}

func mustJSON(c command) string {
	b, _ := json.Marshal(struct {
		K string
		R accessRequest
		F *bridge.Ref
	}{c.kind, c.req, c.ref})
	return string(b)
}

func TestCommandMistakeAnswersWithUsage(t *testing.T) {
	e := newEnv(t)
	w, _ := e.command(t, "UALICE", "request prod-db root")
	var body struct{ ResponseType, Text string }
	decodeJSON(t, w.Body.String(), &body)
	if w.Code != http.StatusOK || !strings.Contains(body.Text, "not a role") ||
		!strings.Contains(body.Text, "Example: `/access request prod-db read for 8h") {
		t.Fatalf("answer %d %q", w.Code, body.Text)
	}
	if len(e.be.jobs) != 0 {
		t.Fatal("a bad command was enqueued")
	}
}

func TestRequestByCommand(t *testing.T) {
	e := newEnv(t)
	w, ru := e.command(t, "UALICE", "request prod-db read for 8h because INC-42")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Submitting") {
		t.Fatalf("ack %d %s", w.Code, w.Body)
	}
	if e.fake.Calls("users.info") != 0 {
		t.Fatal("the handler called Slack before acknowledging")
	}
	e.drain(t)
	if len(e.be.submitted) != 1 {
		t.Fatalf("submitted %d requests", len(e.be.submitted))
	}
	got := e.be.submitted[0]
	if got.Requester != "alice@example.com" || got.Resource != "prod-db" || got.Role != "read" ||
		got.Duration != "8h" || got.Justification != "INC-42" || got.Channel != "slack" || got.Extra["idempotency_key"] == "" {
		t.Fatalf("request = %+v", got)
	}
	if txt := e.responses(ru); !strings.Contains(txt, "<https://jira.example.com/browse/ACC-1|ACC-1>") {
		t.Fatalf("requester was told %q", txt)
	}
}

func TestRequestRefused(t *testing.T) {
	cases := []struct{ name, user, want string }{
		{"unknown Slack user", "UNOBODY", "your Slack account could not be found"},
		{"not in directory", "UGHOST", "is not in the directory"},
		{"end date passed", "UFRANK", "your end date (2026-03-01) has passed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			_, ru := e.command(t, tc.user, "request vpn")
			e.drain(t)
			if len(e.be.submitted) != 0 {
				t.Fatal("refused request was submitted")
			}
			if txt := e.responses(ru); !strings.Contains(txt, tc.want) {
				t.Fatalf("told %q, want %q", txt, tc.want)
			}
			if k := e.be.auditKinds(); len(k) != 1 || k[0] != "request_refused" {
				t.Fatalf("audits = %v", k)
			}
		})
	}
}

func TestInactiveRequesterRefused(t *testing.T) {
	e := newEnv(t)
	p := e.dir.people["eve@example.com"]
	p.Active = false
	e.dir.people["eve@example.com"] = p
	_, ru := e.command(t, "UEVE", "request vpn")
	e.drain(t)
	if txt := e.responses(ru); len(e.be.submitted) != 0 || !strings.Contains(txt, "not active") {
		t.Fatalf("submitted=%d told %q", len(e.be.submitted), txt)
	}
}

func TestHelpStatusMine(t *testing.T) {
	e := newEnv(t)
	w, _ := e.command(t, "UALICE", "help")
	if !strings.Contains(w.Body.String(), "/access mine") {
		t.Fatalf("help = %s", w.Body)
	}
	e.setStatus(pendingStatus())
	_, ru := e.command(t, "UALICE", "mine")
	_, ru2 := e.command(t, "UEVE", "status ACC-17")
	_, ru3 := e.command(t, "UCAROL", "status jira:ACC-17")
	e.drain(t)
	if txt := e.responses(ru); !strings.Contains(txt, "ACC-17") || !strings.Contains(txt, "waiting on manager (0 of 1): bob@example.com") {
		t.Fatalf("mine = %q", txt)
	}
	if txt := e.responses(ru2); !strings.Contains(txt, "You can only look up requests") {
		t.Fatalf("eve saw %q", txt)
	}
	if txt := e.responses(ru3); !strings.Contains(txt, "pending") {
		t.Fatalf("carol (security approver) saw %q", txt)
	}
}

func TestEnqueueFailureTellsUser(t *testing.T) {
	e := newEnv(t)
	e.be.enqErr = errors.New("db down")
	w, _ := e.command(t, "UALICE", "request vpn")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "try again") {
		t.Fatalf("answer %d %s", w.Code, w.Body)
	}
}
