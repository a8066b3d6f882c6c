package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/accessbridge/accessbridge/adapters/jira/jirafake"
)

// requesters are active people of examples/people.csv, so identity
// tickets get a real eligibility check and a pending verdict. On Cloud the
// bridge maps their accountIds to these emails (Jira hides them).
var requesters = []jirafake.User{
	{AccountID: "acc-alice.nguyen", Name: "alice.nguyen", Email: "alice.nguyen@example.com", DisplayName: "Alice Nguyen", Token: "tok-alice"},
	{AccountID: "acc-bob.smith", Name: "bob.smith", Email: "bob.smith@example.com", DisplayName: "Bob Smith", Token: "tok-bob"},
	{AccountID: "acc-carol.jones", Name: "carol.jones", Email: "carol.jones@example.com", DisplayName: "Carol Jones", Token: "tok-carol"},
	{AccountID: "acc-grace.hopper", Name: "grace.hopper", Email: "grace.hopper@example.com", DisplayName: "Grace Hopper", Token: "tok-grace"},
	{AccountID: "acc-hannah.lee", Name: "hannah.lee", Email: "hannah.lee@example.com", DisplayName: "Hannah Lee", Token: "tok-hannah"},
	{AccountID: "acc-li.wei", Name: "li.wei", Email: "li.wei@example.com", DisplayName: "Li Wei", Token: "tok-li"},
}

// Identity asks differ in resource so every edit changes the entitlement
// and therefore the verdict digest: each update is a verdict change that
// must be written back (comment edited, property replaced).
var identityAsks = []string{
	"Need read access to datadog for the on-call dashboards",
	"Please add me to the github org as member",
	"Requesting user access to salesforce for the renewal project",
	"Need VPN access for remote work",
}

// Other tickets avoid every word the example policy classifies on.
var otherAsks = []string{
	"Printer on floor %d is jammed",
	"Laptop fan is noisy, asset %d",
	"Monitor flickers at desk %d",
	"Kitchen coffee machine %d leaks",
}

// ticket is one ticket of the workload and the event in flight for it.
type ticket struct {
	idx      int
	identity bool
	key      string
	gen      int // 0 = the creation, k = the k-th edit
	sent     int64
	done     bool
}

func (t *ticket) requester() jirafake.User { return requesters[t.idx%len(requesters)] }

func (t *ticket) fields() map[string]any {
	f := map[string]any{"summary": t.summary(), "description": t.description()}
	if t.gen == 0 {
		f["project"] = "ACC"
		f["issuetype"] = "Task"
		if t.identity {
			f["issuetype"] = "Access Request"
		}
	}
	return f
}

func (t *ticket) summary() string {
	if t.identity {
		return identityAsks[(t.idx+t.gen)%len(identityAsks)] + " (request " + strconv.Itoa(t.idx) + ")"
	}
	return fmt.Sprintf(otherAsks[t.idx%len(otherAsks)], t.idx)
}

func (t *ticket) description() string {
	if t.identity {
		return "Justification: the quarterly rotation. Revision " + strconv.Itoa(t.gen) + "."
	}
	return "Reported by the office team. Revision " + strconv.Itoa(t.gen) + "."
}

// webhookBody renders a Jira webhook for the issue as it is now, the way
// Jira sends it: the event, the acting user, the issue with its navigable
// fields and, for an edit, the changelog. Cloud names users by accountId
// only (no name, key or email) and changelog items carry fieldId.
func webhookBody(is jirafake.Issue, by jirafake.User, created bool, prevSummary string, cloud bool) []byte {
	event, typ := "jira:issue_updated", "issue_updated"
	if created {
		event, typ = "jira:issue_created", "issue_created"
	}
	labels := is.Labels
	if labels == nil {
		labels = []string{}
	}
	p := map[string]any{
		"timestamp": is.Updated.UnixMilli(), "webhookEvent": event, "issue_event_type_name": typ,
		"user": userJSON(by, cloud),
		"issue": map[string]any{
			"id": is.ID, "key": is.Key, "self": "/rest/api/2/issue/" + is.ID,
			"fields": map[string]any{
				"summary": is.Summary, "description": is.Description,
				"issuetype": map[string]any{"name": is.Type}, "project": map[string]any{"key": is.Project},
				"status": map[string]any{"name": is.Status}, "priority": map[string]any{"name": is.Priority},
				"reporter": userJSON(by, cloud), "creator": userJSON(by, cloud), "labels": labels,
				"created": is.Created.UTC().Format(jirafake.TimeLayout), "updated": is.Updated.UTC().Format(jirafake.TimeLayout),
			},
		},
	}
	if !created {
		item := map[string]any{"field": "summary", "fieldtype": "jira", "fromString": prevSummary, "toString": is.Summary}
		if cloud {
			item["fieldId"] = "summary"
		}
		p["changelog"] = map[string]any{"id": strconv.FormatInt(is.Updated.UnixNano(), 36), "items": []map[string]any{item}}
	}
	b, _ := json.Marshal(p)
	return b
}

func userJSON(u jirafake.User, cloud bool) map[string]any {
	if cloud {
		return map[string]any{"accountId": u.AccountID, "displayName": u.DisplayName, "accountType": "atlassian",
			"active": true, "timeZone": "UTC"}
	}
	return map[string]any{"name": u.Name, "key": strings.ToLower(u.Name), "emailAddress": u.Email,
		"displayName": u.DisplayName, "active": true, "timeZone": "UTC"}
}
