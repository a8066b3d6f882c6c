package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/accessbridge/accessbridge/adapters/directory"
	"github.com/accessbridge/accessbridge/adapters/jira"
	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/scan"
	"github.com/accessbridge/accessbridge/policy"
)

func init() {
	register("classify", "evaluate one ticket (Jira issue JSON or bridge ticket JSON) and explain the verdict", runClassify)
}

// Ticket file formats classify and scan recognize.
const (
	formatJiraIssue  = "Jira REST issue"
	formatBridgeJSON = "bridge ticket JSON"
)

// runClassify: bridge classify --policy P --directory D TICKET.json
func runClassify(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("classify", stderr)
	var policies stringList
	fs.Var(&policies, "policy", "policy file or directory (repeatable; env BRIDGE_POLICY)")
	dirPath := fs.String("directory", os.Getenv("BRIDGE_DIRECTORY"), "directory export: CSV, JSON or YAML (env BRIDGE_DIRECTORY)")
	approvalsPath := fs.String("approvals", "", "JSON array of approvals given outside the ticket")
	nowFlag := fs.String("now", "", "evaluate as of this RFC 3339 time (default: now)")
	asJSON := fs.Bool("json", false, "print the decision as JSON")
	fieldMap := fs.String("field-map", os.Getenv("BRIDGE_JIRA_FIELD_MAP"), "Jira custom fields, name:customfield_id,… (env BRIDGE_JIRA_FIELD_MAP; default: the example export's)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: bridge classify --policy P --directory D [--approvals A.json] [--now T] [--json] TICKET.json")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageError(err)
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitError{code: 2, msg: "bridge classify: want exactly one ticket file"}
	}
	now, err := parseNow(*nowFlag)
	if err != nil {
		return exitError{code: 2, msg: err.Error()}
	}
	mapping, err := jiraMapping(*fieldMap)
	if err != nil {
		return exitError{code: 2, msg: err.Error()}
	}
	pol, dir, err := loadInputs(policies, *dirPath, stderr)
	if err != nil {
		return err
	}
	path := pos[0]
	data, err := os.ReadFile(path)
	if err != nil {
		return exitError{code: 1, msg: err.Error()}
	}
	t, format, err := decodeTicket(path, data, mapping)
	if err != nil {
		return exitError{code: 1, msg: err.Error()}
	}
	given, err := readApprovals(*approvalsPath)
	if err != nil {
		return exitError{code: 1, msg: err.Error()}
	}
	fromComments, refused := bridge.ApprovalsFromComments(t)
	approvals := append(given, fromComments...)
	d := pol.Evaluate(t, dir, approvals, now)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(d)
	}
	writeDecision(stdout, t, format, d, approvals, refused, pol.Mode())
	return nil
}

// decodeTicket reads a Jira REST issue or the bridge's own ticket JSON.
// Every error names the file; JSON syntax and type errors carry line:column.
func decodeTicket(name string, data []byte, m jira.Mapping) (policy.Ticket, string, error) {
	var raw json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return policy.Ticket{}, "", jsonFileError(name, data, err)
	}
	if isJiraIssue(data) {
		t, err := jira.DecodeIssue(data, m)
		if err != nil {
			return policy.Ticket{}, "", fmt.Errorf("%s: %w", name, err)
		}
		return t, formatJiraIssue, nil
	}
	if b := bytes.TrimSpace(data); len(b) == 0 || b[0] != '{' {
		return policy.Ticket{}, "", fmt.Errorf("%s: want a JSON object: a Jira issue (GET /rest/api/2/issue/{key}) or a bridge ticket", name)
	}
	var t policy.Ticket
	if err := decodeStrict(name, data, &t); err != nil {
		return policy.Ticket{}, "", err
	}
	if t.Key == "" && t.Summary == "" {
		return policy.Ticket{}, "", fmt.Errorf("%s: neither a Jira issue (key and fields) nor a bridge ticket (key, summary)", name)
	}
	if t.Source == "" {
		t.Source = "jira"
	}
	return t, formatBridgeJSON, nil
}

// isJiraIssue tells a Jira issue from a bridge ticket: both have a key and
// may have a "fields" object, but only a bridge ticket has summary,
// requester or source at the top level.
func isJiraIssue(data []byte) bool {
	var probe struct {
		Summary   *json.RawMessage `json:"summary"`
		Requester *json.RawMessage `json:"requester"`
		Source    *json.RawMessage `json:"source"`
	}
	if json.Unmarshal(data, &probe) == nil && (probe.Summary != nil || probe.Requester != nil || probe.Source != nil) {
		return false
	}
	return jira.LooksLikeIssue(data)
}

// readApprovals reads a JSON array of policy.Approval; "" reads nothing.
func readApprovals(path string) ([]policy.Approval, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []policy.Approval
	if err := decodeStrict(path, data, &out); err != nil {
		return nil, err
	}
	for i, a := range out {
		if strings.TrimSpace(a.By) == "" {
			return nil, fmt.Errorf("%s: approval %d: \"by\" is empty", path, i)
		}
		if a.Decision != "" && a.Decision != policy.Approve && a.Decision != policy.Deny {
			return nil, fmt.Errorf("%s: approval %d: decision %q: want approve or deny", path, i, a.Decision)
		}
	}
	return out, nil
}

// decodeStrict decodes one JSON value, refusing unknown fields (a typo such
// as "requestor" must not pass silently), with positioned errors.
func decodeStrict(name string, data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			// the decoder does not say where; the field's first occurrence does
			off := int64(bytes.Index(data, []byte(field)) + 1)
			line, col := lineCol(data, off)
			return fmt.Errorf("%s:%d:%d: unknown field %s", name, line, col, field)
		}
		return jsonFileError(name, data, err)
	}
	if dec.More() {
		line, col := lineCol(data, dec.InputOffset()+1)
		return fmt.Errorf("%s:%d:%d: data after the JSON value", name, line, col)
	}
	return nil
}

// jsonFileError positions a JSON error as file:line:column when the error
// carries a byte offset.
func jsonFileError(name string, data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := int64(-1)
	msg := err.Error()
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
		if te.Field != "" {
			msg = fmt.Sprintf("field %s: cannot use %s as %s", te.Field, te.Value, te.Type)
		}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		off, msg = int64(len(data)), "unexpected end of JSON input"
	}
	if off < 0 {
		return fmt.Errorf("%s: %w", name, err)
	}
	line, col := lineCol(data, off)
	return fmt.Errorf("%s:%d:%d: %s", name, line, col, msg)
}

// lineCol turns a byte offset as encoding/json reports it (just past the
// offending byte) into the 1-based line and column of that byte.
func lineCol(data []byte, off int64) (line, col int) {
	p := int(max(0, min(off, int64(len(data)))-1))
	p = max(p, 0)
	before := data[:min(p, len(data))]
	line = 1 + bytes.Count(before, []byte{'\n'})
	start := bytes.LastIndexByte(before, '\n') + 1
	return line, p - start + 1
}

// writeDecision prints the verdict for a person, then the explanation tree.
func writeDecision(w io.Writer, t policy.Ticket, format string, d policy.Decision, approvals []policy.Approval, refused []bridge.Refusal, mode string) {
	c := d.Classification
	fmt.Fprintf(w, "ticket          %s (%s)\n", t.Key, format)
	if t.Status != "" {
		fmt.Fprintf(w, "status          %s\n", t.Status)
	}
	fmt.Fprintf(w, "verdict         %s\n", d.Verdict)
	fmt.Fprintf(w, "classification  %s / %s", c.Category, c.Impact)
	if len(c.Matched) > 0 {
		fmt.Fprintf(w, "  (matched %s)", strings.Join(c.Matched, ", "))
	}
	fmt.Fprintln(w)
	if e := entitlementText(c.Entitlement); e != "" {
		fmt.Fprintf(w, "entitlement     %s\n", e)
	}
	if d.Rule != "" {
		fmt.Fprintf(w, "rule            %s\n", d.Rule)
	}
	for _, m := range d.Missing {
		fmt.Fprintf(w, "missing         %s %d/%d%s\n", m.Name, m.Have, m.Count, candidates(m.Candidates))
	}
	for _, r := range d.Reasons {
		fmt.Fprintf(w, "reason          %s\n", r)
	}
	for _, ch := range d.Eligibility {
		if !ch.Passed {
			fmt.Fprintf(w, "ineligible      %s: %s\n", ch.Name, ch.Reason)
		}
	}
	writeApprovals(w, d, approvals, refused)
	if d.Exception != nil {
		fmt.Fprintf(w, "break-glass     rule %s, review due %s\n", d.Exception.Rule, d.Exception.ReviewDue.Format(time.RFC3339))
	}
	if !d.GrantUntil.IsZero() {
		fmt.Fprintf(w, "grant until     %s\n", d.GrantUntil.Format(time.RFC3339))
	}
	fmt.Fprintf(w, "policy          %s (mode %s)\n", d.PolicyDigest, mode)
	if d.Explanation != nil {
		fmt.Fprintln(w, "\nexplanation")
		d.Explanation.Format(indent(w, "  "))
	}
}

func writeApprovals(w io.Writer, d policy.Decision, approvals []policy.Approval, refused []bridge.Refusal) {
	if len(d.Approvers) > 0 {
		fmt.Fprintf(w, "approved by     %s\n", strings.Join(d.Approvers, ", "))
	}
	for _, a := range approvals {
		ch := a.Channel
		if ch == "" {
			ch = "approvals file"
		}
		line := fmt.Sprintf("%s %s via %s", a.By, orApprove(a.Decision), ch)
		if a.Reason != "" {
			line += ": " + a.Reason
		}
		fmt.Fprintf(w, "approval        %s\n", line)
	}
	for _, a := range d.Invalidated {
		fmt.Fprintf(w, "invalidated     %s (given for a different version of the request)\n", a.By)
	}
	for _, r := range refused {
		who := r.Comment.AuthorID
		if who == "" {
			who = "unknown author"
		}
		id := ""
		if r.Comment.ID != "" {
			id = " " + r.Comment.ID
		}
		fmt.Fprintf(w, "refused         comment%s by %s: %s\n", id, who, r.Reason)
	}
}

func orApprove(decision string) string {
	if decision == "" {
		return policy.Approve
	}
	return decision
}

func candidates(c []string) string {
	if len(c) == 0 {
		return ""
	}
	return " (" + strings.Join(c, ", ") + ")"
}

func entitlementText(e policy.Entitlement) string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	add("resource", e.Resource)
	add("role", e.Role)
	if e.Duration > 0 {
		add("duration", e.Duration.String())
	}
	add("subject", e.Subject)
	add("justification", e.Justification)
	return strings.Join(parts, " ")
}

// loadInputs loads the policy and the directory, printing every positioned
// error on stderr.
func loadInputs(policies stringList, dirPath string, stderr io.Writer) (*policy.Policy, *directory.File, error) {
	if len(policies) == 0 {
		if env := os.Getenv("BRIDGE_POLICY"); env != "" {
			policies = strings.Split(env, ",")
		}
	}
	if len(policies) == 0 {
		return nil, nil, exitError{code: 2, msg: "no policy: pass --policy FILE (or set BRIDGE_POLICY)"}
	}
	if dirPath == "" {
		return nil, nil, exitError{code: 2, msg: "no directory: pass --directory FILE (or set BRIDGE_DIRECTORY)"}
	}
	pol, err := loadPolicy(policies, stderr)
	if err != nil {
		return nil, nil, err
	}
	dir, err := directory.Load(dirPath)
	if err != nil {
		var list directory.Errors
		if errors.As(err, &list) {
			for _, e := range list {
				fmt.Fprintln(stderr, e.Error())
			}
			return nil, nil, exitError{code: 1, msg: fmt.Sprintf("%d error(s) in directory %s", len(list), dirPath)}
		}
		return nil, nil, exitError{code: 1, msg: err.Error()}
	}
	return pol, dir, nil
}

// defaultFieldMap names the custom fields of the example Jira export.
var defaultFieldMap = map[string]string{
	"resource":      "customfield_10050",
	"role":          "customfield_10051",
	"duration":      "customfield_10052",
	"subject":       "customfield_10053",
	"justification": "customfield_10054",
}

// jiraMapping builds the Jira mapping: the default custom fields, those of
// spec ("name:customfield_id,…") over them, and the standard resolution
// fields, which tell a ticket closed as done from one closed as won't do,
// and when.
func jiraMapping(spec string) (jira.Mapping, error) {
	fm := map[string]string{scan.ResolutionField: "resolution", scan.ResolvedField: "resolutiondate"}
	for k, v := range defaultFieldMap {
		fm[k] = v
	}
	for pair := range strings.SplitSeq(spec, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		name, id, ok := strings.Cut(pair, ":")
		if !ok || strings.TrimSpace(name) == "" || strings.TrimSpace(id) == "" {
			return jira.Mapping{}, fmt.Errorf("field map %q: want name:customfield_id", pair)
		}
		fm[strings.TrimSpace(name)] = strings.TrimSpace(id)
	}
	return jira.Mapping{FieldMap: fm}, nil
}

func parseNow(s string) (time.Time, error) {
	if s == "" {
		return time.Now().UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--now %q: want an RFC 3339 time such as 2026-06-01T09:00:00Z", s)
	}
	return t, nil
}

// stringList is a repeatable flag; a value may also list items with commas.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	for p := range strings.SplitSeq(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*s = append(*s, p)
		}
	}
	return nil
}
