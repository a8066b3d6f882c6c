package slack

import (
	"fmt"
	"strings"

	"github.com/accessbridge/accessbridge/policy"
)

const usage = "Usage: `%[1]s request <resource> [role] [for <duration>] [because <reason>]`\n" +
	"Example: `%[1]s request prod-db read for 8h because investigating INC-42`\n" +
	"Or just `%[1]s` to fill in a form."

func (a *App) usageText() string { return fmt.Sprintf(usage, a.cfg.Command) }

func (a *App) helpText() string {
	c := a.cfg.Command
	return strings.Join([]string{
		"*Request access to a resource from the catalog.*",
		fmt.Sprintf("• `%s` — open the request form", c),
		fmt.Sprintf("• `%s request <resource> [role] [for <duration>] [because <reason>]` — request directly", c),
		fmt.Sprintf("• `%s status [KEY]` — where a request stands (all your open ones without KEY)", c),
		fmt.Sprintf("• `%s mine` — your open requests and who they wait on", c),
		"Durations: 8h, 90m, 7d, 2 weeks. Resources: " + resourceListOrNone(a),
	}, "\n")
}

func resourceListOrNone(a *App) string { return resourceList(a.catalog()) }

// esc escapes the three characters Slack's mrkdwn treats as control.
func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// link renders a Slack link, or the plain label without a URL.
func link(url, label string) string {
	if url == "" || strings.ContainsAny(url, "<>| ") {
		return esc(label)
	}
	return "<" + url + "|" + esc(label) + ">"
}

// describeMissing lists what a pending ticket still waits for.
func describeMissing(missing []policy.Requirement) string {
	var parts []string
	for _, r := range missing {
		if r.Have >= r.Count {
			continue
		}
		s := fmt.Sprintf("%s (%d of %d)", esc(r.Name), r.Have, r.Count)
		if len(r.Candidates) > 0 {
			s += ": " + esc(strings.Join(r.Candidates, ", "))
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, "; ")
}

var verdictWords = map[policy.Verdict]string{
	policy.Allowed:       ":white_check_mark: allowed",
	policy.Pending:       ":hourglass_flowing_sand: pending",
	policy.Denied:        ":no_entry: denied",
	policy.NotApplicable: "not applicable",
	policy.Error:         ":warning: error (not allowed until resolved)",
}

func verdictText(v policy.Verdict) string {
	if w, ok := verdictWords[v]; ok {
		return w
	}
	return esc(string(v))
}

// what describes the entitlement: "prod-db (read) for 8h".
func what(st Status) string {
	s := esc(st.Resource)
	if st.Role != "" {
		s += " (" + esc(st.Role) + ")"
	}
	if st.Duration != "" {
		s += " for " + esc(st.Duration)
	}
	if s == "" {
		s = esc(st.Summary)
	}
	return s
}

// statusLine is one line of /access status and /access mine.
func statusLine(st Status) string {
	line := fmt.Sprintf("*%s* %s — %s", link(st.URL, st.Ticket.Key), what(st), verdictText(st.Verdict))
	if st.Verdict == policy.Pending {
		line += "; waiting on " + describeMissing(st.Missing)
	}
	if len(st.Reasons) > 0 && st.Verdict != policy.Pending {
		line += ": " + esc(strings.Join(st.Reasons, "; "))
	}
	return line
}
