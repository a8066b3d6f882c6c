package slack

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/policy"
)

// Subcommands of /access.
const (
	cmdModal   = "modal" // bare /access
	cmdHelp    = "help"
	cmdRequest = "request"
	cmdStatus  = "status"
	cmdMine    = "mine"
)

const maxJustification = 1000

// command is a parsed /access invocation.
type command struct {
	kind string
	req  accessRequest
	ref  *bridge.Ref // status KEY, nil = all of mine
}

// accessRequest is a validated request, whether typed or from the modal.
type accessRequest struct {
	Resource      string `json:"resource"`
	Role          string `json:"role,omitempty"`
	Duration      string `json:"duration,omitempty"` // canonical: 8h, 7d
	Justification string `json:"justification,omitempty"`
	Subject       string `json:"subject,omitempty"` // a service account the requester owns
}

// usageError is a mistake in what the user typed; its text is shown to them.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// parseCommand parses the text after /access. Resources and roles are
// checked against the catalog; durations must parse and fit the resource.
func parseCommand(text string, cat catalog, defaultSource string) (command, error) {
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return command{kind: cmdModal}, nil
	}
	switch sub := strings.ToLower(fields[0]); sub {
	case cmdHelp:
		return command{kind: cmdHelp}, nil
	case cmdMine:
		if len(fields) > 1 {
			return command{}, usagef("`mine` takes no arguments.")
		}
		return command{kind: cmdMine}, nil
	case cmdStatus:
		return parseStatus(fields[1:], defaultSource)
	case cmdRequest:
		req, err := parseRequest(text, fields[1:], cat)
		return command{kind: cmdRequest, req: req}, err
	default:
		return command{}, usagef("Unknown subcommand `%s`.", clip(sub, 40))
	}
}

func parseStatus(args []string, defaultSource string) (command, error) {
	if len(args) == 0 {
		return command{kind: cmdStatus}, nil
	}
	if len(args) > 1 {
		return command{}, usagef("`status` takes one ticket key, e.g. `status ACC-17`.")
	}
	ref, ok := parseRef(args[0], defaultSource)
	if !ok {
		return command{}, usagef("`%s` is not a ticket key; use e.g. `ACC-17` or `jira:ACC-17`.", clip(args[0], 40))
	}
	return command{kind: cmdStatus, ref: &ref}, nil
}

var (
	keyRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$`)
	sourceRE = regexp.MustCompile(`^[a-z][a-z0-9_\-]{0,31}$`)
)

// parseRef reads "KEY" or "source:KEY" (the button value format).
func parseRef(s, defaultSource string) (bridge.Ref, bool) {
	src, key, found := strings.Cut(s, ":")
	if !found {
		src, key = defaultSource, s
	}
	if !sourceRE.MatchString(src) || !keyRE.MatchString(key) {
		return bridge.Ref{}, false
	}
	return bridge.Ref{Source: src, Key: key}, true
}

// parseRequest reads `<resource> [role] [for <duration>] [because <reason>]`.
// text is the whole command text, so the reason keeps its spacing.
func parseRequest(text string, args []string, cat catalog) (accessRequest, error) {
	if len(args) == 0 {
		return accessRequest{}, usagef("Name the resource you need: %s.", resourceList(cat))
	}
	var raw accessRequest
	i := resourceWords(args, cat)
	raw.Resource = strings.Join(args[:i], " ")
	if i < len(args) && !isKeyword(args[i]) {
		raw.Role = args[i]
		i++
	}
	if i < len(args) && strings.EqualFold(args[i], "for") {
		j := i + 1
		for j < len(args) && !isKeyword(args[j]) {
			j++
		}
		if j == i+1 {
			return accessRequest{}, usagef("Say how long after `for`, e.g. `for 8h` or `for 2 weeks`.")
		}
		raw.Duration = strings.Join(args[i+1:j], " ")
		i = j
	}
	if i < len(args) && strings.EqualFold(args[i], "because") {
		raw.Justification = reasonAfterBecause(text)
		if raw.Justification == "" {
			return accessRequest{}, usagef("Say why after `because`.")
		}
		i = len(args)
	}
	if i < len(args) {
		return accessRequest{}, usagef("Unexpected `%s`.", clip(args[i], 40))
	}
	req, errs := validateRequest(raw, cat)
	if len(errs) > 0 {
		return accessRequest{}, &usageError{firstError(errs)}
	}
	return req, nil
}

// resourceWords returns how many leading words name a resource: aliases
// may be several words ("prod database"); the longest match wins.
func resourceWords(args []string, cat catalog) int {
	for n := min(len(args), 4); n > 1; n-- {
		if slices.ContainsFunc(args[:n], isKeyword) {
			continue
		}
		if _, ok := cat.Resource(strings.Join(args[:n], " ")); ok {
			return n
		}
	}
	return 1
}

func isKeyword(s string) bool { return strings.EqualFold(s, "for") || strings.EqualFold(s, "because") }

// reasonAfterBecause returns the text after the first standalone "because".
func reasonAfterBecause(text string) string {
	fields := strings.Fields(text)
	rest := text
	for _, f := range fields {
		idx := strings.Index(rest, f)
		rest = rest[idx+len(f):]
		if strings.EqualFold(f, "because") {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}

// Field names, shared with the modal's block ids so errors show inline.
const (
	fieldResource      = "resource"
	fieldRole          = "role"
	fieldDuration      = "duration"
	fieldJustification = "justification"
	fieldSubject       = "subject"
)

// validateRequest checks a request against the catalog and canonicalizes
// it. It returns errors by field.
func validateRequest(raw accessRequest, cat catalog) (accessRequest, map[string]string) {
	errs := map[string]string{}
	res, ok := cat.Resource(raw.Resource)
	if !ok {
		errs[fieldResource] = fmt.Sprintf("Unknown resource `%s`. Known: %s.", clip(raw.Resource, 60), resourceList(cat))
		return accessRequest{}, errs
	}
	out := accessRequest{Resource: res.Name, Subject: raw.Subject}
	out.Role = checkRole(res, raw.Role, errs)
	if raw.Duration != "" {
		out.Duration = checkDuration(res, raw.Duration, errs)
	}
	out.Justification = strings.TrimSpace(raw.Justification)
	if len(out.Justification) > maxJustification {
		errs[fieldJustification] = fmt.Sprintf("Keep the reason under %d characters.", maxJustification)
	}
	return out, errs
}

func checkRole(res policy.Resource, role string, errs map[string]string) string {
	switch {
	case role == "" && len(res.Roles) == 1:
		return res.Roles[0]
	case role == "" && len(res.Roles) > 1:
		errs[fieldRole] = fmt.Sprintf("Choose a role of %s: %s.", res.Name, strings.Join(res.Roles, ", "))
	case role != "" && len(res.Roles) == 0:
		errs[fieldRole] = fmt.Sprintf("%s has no roles; leave the role out.", res.Name)
	case role != "":
		if i := slices.IndexFunc(res.Roles, func(r string) bool { return strings.EqualFold(r, role) }); i >= 0 {
			return res.Roles[i]
		}
		errs[fieldRole] = fmt.Sprintf("`%s` is not a role of %s (roles: %s).", clip(role, 40), res.Name, strings.Join(res.Roles, ", "))
	}
	return ""
}

func checkDuration(res policy.Resource, s string, errs map[string]string) string {
	d, err := policy.ParseDuration(s)
	switch {
	case err != nil:
		errs[fieldDuration] = fmt.Sprintf("`%s` is not a duration; write e.g. 8h, 7d or 2 weeks.", clip(s, 40))
	case d < time.Minute:
		errs[fieldDuration] = "The duration must be at least a minute."
	case res.MaxDuration > 0 && d > res.MaxDuration:
		errs[fieldDuration] = fmt.Sprintf("%s can be granted for at most %s.", res.Name, formatDuration(res.MaxDuration))
	default:
		return formatDuration(d)
	}
	return ""
}

// formatDuration writes whole days as "7d", otherwise Go style without
// zero units ("8h", "1h30m").
func formatDuration(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func resourceList(cat catalog) string {
	var names []string
	for _, r := range cat.Resources() {
		names = append(names, "`"+r.Name+"`")
	}
	if len(names) == 0 {
		return "(the catalog is empty)"
	}
	if len(names) > 20 {
		names = append(names[:20], "…")
	}
	return strings.Join(names, ", ")
}

// firstError picks the error of the earliest field, for one-line answers.
func firstError(errs map[string]string) string {
	for _, f := range []string{fieldResource, fieldRole, fieldDuration, fieldJustification, fieldSubject} {
		if e, ok := errs[f]; ok {
			return e
		}
	}
	return ""
}

// clip shortens and escapes user input echoed back in a message.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		s = string(r[:n]) + "…"
	}
	return esc(strings.ReplaceAll(s, "`", "'"))
}
