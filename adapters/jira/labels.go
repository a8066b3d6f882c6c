package jira

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/accessbridge/accessbridge/bridge"
)

// PropertyKey is the issue property holding machine-readable evidence.
const PropertyKey = "accessbridge.evidence"

// maxProperty is Jira's limit on an issue property value.
const maxProperty = 32768

// Bridge-owned labels: the bridge adds and removes only these, plus
// whatever it is asked to set. Other labels (including a team's own
// "access-request") are never touched.
var verdictLabels = []string{"access-allowed", "access-pending", "access-denied", "access-not_applicable", "access-not-applicable", "access-error", "access-policy-violation"}

func ownedLabel(l string) bool {
	return strings.HasPrefix(l, "identity-impact-") || slices.Contains(verdictLabels, l)
}

// setLabels makes the issue carry exactly want among the bridge's labels.
// The current labels come from the preceding Fetch when it is cached.
func (s *Source) setLabels(ctx context.Context, key string, want []string) (bridge.ActionResult, error) {
	if err := checkLabels("label", want); err != nil {
		return bridge.ActionResult{}, err
	}
	cur, err := s.currentLabels(ctx, key, "label")
	if err != nil {
		return bridge.ActionResult{}, err
	}
	ops, next := labelOps(cur, want)
	if len(ops) == 0 {
		return bridge.ActionResult{Detail: "unchanged"}, nil
	}
	if err := s.edit(ctx, "label", key, map[string]any{"update": map[string]any{"labels": ops}}, next); err != nil {
		return bridge.ActionResult{}, err
	}
	return bridge.ActionResult{Detail: fmt.Sprintf("%d label change(s)", len(ops))}, nil
}

// setProperty writes the evidence issue property (invisible in the UI,
// readable by apps and automation).
func (s *Source) setProperty(ctx context.Context, key string, value []byte) (bridge.ActionResult, error) {
	if err := checkProperty("property", value); err != nil {
		return bridge.ActionResult{}, err
	}
	status, err := s.call(ctx, "property", http.MethodPut, "rest/api/2/issue/"+key+"/properties/"+PropertyKey, rawJSON(value), nil)
	if err != nil {
		return bridge.ActionResult{}, err
	}
	detail := "updated"
	if status == http.StatusCreated {
		detail = "created"
	}
	return bridge.ActionResult{ID: PropertyKey, Detail: detail}, nil
}

// setEvidence sets the bridge's labels and the evidence property.
//
// Cloud: one edit (PUT /rest/api/2/issue/{key}) carrying the label
// operations and the property, which Jira Cloud's IssueUpdateDetails
// accepts, applied all or nothing.
//
// Data Center: the label edit and the property PUT, two calls. The Data
// Center edit bean we could read (IssueUpdateBean, Jira 6.3+) declares no
// properties and ignores unknown members, so a combined edit could answer
// 204 and drop the evidence without a word; the bridge does not risk it.
func (s *Source) setEvidence(ctx context.Context, key string, want []string, value []byte) (bridge.ActionResult, error) {
	if err := checkLabels("evidence", want); err != nil {
		return bridge.ActionResult{}, err
	}
	if err := checkProperty("evidence", value); err != nil {
		return bridge.ActionResult{}, err
	}
	if !s.cloud {
		lr, err := s.setLabels(ctx, key, want)
		if err != nil {
			return bridge.ActionResult{}, err
		}
		pr, err := s.setProperty(ctx, key, value)
		if err != nil {
			return bridge.ActionResult{}, err
		}
		return bridge.ActionResult{ID: PropertyKey, Detail: "labels " + lr.Detail + "; property " + pr.Detail}, nil
	}
	cur, err := s.currentLabels(ctx, key, "evidence")
	if err != nil {
		return bridge.ActionResult{}, err
	}
	ops, next := labelOps(cur, want)
	body := map[string]any{"properties": []map[string]any{{"key": PropertyKey, "value": rawJSON(value)}}}
	labels := "labels unchanged"
	if len(ops) > 0 {
		body["update"] = map[string]any{"labels": ops}
		labels = fmt.Sprintf("%d label change(s)", len(ops))
	}
	if err := s.edit(ctx, "evidence", key, body, next); err != nil {
		return bridge.ActionResult{}, err
	}
	return bridge.ActionResult{ID: PropertyKey, Detail: labels + "; property set"}, nil
}

// currentLabels are the labels as the last Fetch (or the bridge's
// own edit since) left them, else read.
func (s *Source) currentLabels(ctx context.Context, key, op string) ([]string, error) {
	if st, ok := s.cache.get(cacheKey(key)); ok && st.labelsKnown {
		return st.labels, nil
	}
	var cur struct {
		Fields struct {
			Labels []string `json:"labels"`
		} `json:"fields"`
	}
	if _, err := s.call(ctx, op, http.MethodGet, "rest/api/2/issue/"+key+"?fields=labels", nil, &cur); err != nil {
		return nil, err
	}
	return cur.Fields.Labels, nil
}

// edit sends an issue edit; next is the label set it leaves. A failed
// edit may still have been applied, so the cached labels are dropped.
func (s *Source) edit(ctx context.Context, op, key string, body map[string]any, next []string) error {
	if _, err := s.call(ctx, op, http.MethodPut, "rest/api/2/issue/"+key, body, nil); err != nil {
		s.cache.forgetLabels(cacheKey(key))
		return err
	}
	s.cache.wroteLabels(cacheKey(key), next)
	return nil
}

// labelOps are the add/remove operations that make cur carry exactly want
// among the bridge's labels, and the label set they leave.
func labelOps(cur, want []string) ([]map[string]string, []string) {
	var ops []map[string]string
	next := slices.Clone(cur)
	for _, l := range want {
		if !slices.Contains(next, l) {
			ops = append(ops, map[string]string{"add": l})
			next = append(next, l)
		}
	}
	for _, l := range cur {
		if ownedLabel(l) && !slices.Contains(want, l) {
			ops = append(ops, map[string]string{"remove": l})
			next = slices.DeleteFunc(next, func(x string) bool { return x == l })
		}
	}
	slices.Sort(next)
	return ops, slices.Compact(next)
}

func checkLabels(op string, ls []string) error {
	for _, l := range ls {
		if l == "" || strings.ContainsAny(l, " \t\n") || len(l) > 255 {
			return permanent(op, fmt.Sprintf("invalid label %q", l))
		}
	}
	return nil
}

func checkProperty(op string, value []byte) error {
	switch {
	case len(value) == 0:
		return permanent(op, "empty evidence property")
	case len(value) > maxProperty:
		return permanent(op, fmt.Sprintf("evidence property is %d bytes; Jira allows %d", len(value), maxProperty))
	}
	return nil
}

// rawJSON is sent as is by go-jira's JSON encoder.
type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }
