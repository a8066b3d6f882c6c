package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/slack-go/slack"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/policy"
)

// Callback ids of the app's modals.
const (
	cbRequest = "access_request"
	cbDeny    = "deny_reason"
)

// subjectSelf is the "on behalf of" option meaning the requester.
const subjectSelf = "self"

// requestMeta travels in the request modal's private_metadata.
type requestMeta struct {
	ResponseURL string `json:"response_url,omitempty"`
}

// denyMeta travels in the deny modal's private_metadata.
type denyMeta struct {
	Ref         bridge.Ref `json:"ref"`
	ResponseURL string     `json:"response_url,omitempty"`
}

// openRequestModal opens the form right away — the trigger_id expires in
// about 3 s — and leaves the directory lookup for "on behalf of" to a job.
func (a *App) openRequestModal(ctx context.Context, w http.ResponseWriter, sc slack.SlashCommand) {
	meta, _ := json.Marshal(requestMeta{ResponseURL: sc.ResponseURL})
	view := requestModal(a.catalog(), nil, string(meta))
	resp, err := a.api.OpenViewContext(ctx, sc.TriggerID, view)
	if err != nil {
		a.log.Warn("slack views.open failed", "err", upstream("views.open", err))
		ephemeral(w, ":warning: Could not open the request form; try again, or use `"+a.cfg.Command+" request …`.\n"+a.usageText())
		return
	}
	if _, ok := a.dir.(OwnedLister); ok {
		job := modalFillJob{UserID: sc.UserID, ViewID: resp.ID, Hash: resp.Hash, Meta: string(meta)}
		if err := a.enqueue(ctx, JobModalFill, job); err != nil {
			a.log.Warn("slack enqueue modal fill failed", "err", err)
		}
	}
	w.WriteHeader(http.StatusOK)
}

// requestModal builds the request form. subjects are the service accounts
// the requester owns; the "on behalf of" field appears only when there are any.
func requestModal(cat catalog, subjects []policy.Person, meta string) slack.ModalViewRequest {
	blocks := []slack.Block{
		input(fieldResource, "Resource", resourceSelect(cat.Resources()), false),
		input(fieldRole, "Role", roleSelect(cat.Resources()), true),
		input(fieldDuration, "For how long", plainInput(fieldDuration, "e.g. 8h, 7d, 2 weeks", false, 40), true),
		input(fieldJustification, "Why", plainInput(fieldJustification, "What do you need it for?", true, maxJustification), true),
	}
	if len(subjects) > 0 {
		blocks = append(blocks, input(fieldSubject, "On behalf of", subjectSelect(subjects), true))
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      cbRequest,
		Title:           plain("Request access"),
		Submit:          plain("Submit"),
		Close:           plain("Cancel"),
		PrivateMetadata: meta,
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

func resourceSelect(rs []policy.Resource) slack.BlockElement {
	var opts []*slack.OptionBlockObject
	for _, r := range rs[:min(len(rs), 100)] { // Slack's limit for static_select
		var desc *slack.TextBlockObject
		if r.Description != "" {
			desc = plain(clipPlain(r.Description, 75))
		}
		opts = append(opts, slack.NewOptionBlockObject(r.Name, plain(clipPlain(r.Name, 75)), desc))
	}
	return slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose a resource"), fieldResource, opts...)
}

// roleSelect groups roles by resource; the value is "resource::role".
func roleSelect(rs []policy.Resource) slack.BlockElement {
	var groups []*slack.OptionGroupBlockObject
	for _, r := range rs {
		if len(r.Roles) == 0 || len(groups) == 100 {
			continue
		}
		var opts []*slack.OptionBlockObject
		for _, role := range r.Roles[:min(len(r.Roles), 100)] {
			opts = append(opts, slack.NewOptionBlockObject(r.Name+"::"+role, plain(clipPlain(role, 75)), nil))
		}
		groups = append(groups, slack.NewOptionGroupBlockElement(plain(clipPlain(r.Name, 75)), opts...))
	}
	if len(groups) == 0 {
		return plainInput(fieldRole, "Role", false, 100)
	}
	return slack.NewOptionsGroupSelectBlockElement(slack.OptTypeStatic, plain("Choose a role"), fieldRole, groups...)
}

func subjectSelect(subjects []policy.Person) slack.BlockElement {
	opts := []*slack.OptionBlockObject{slack.NewOptionBlockObject(subjectSelf, plain("Myself"), nil)}
	for _, p := range subjects[:min(len(subjects), 99)] {
		label := p.Email
		if p.Name != "" {
			label = p.Name + " (" + p.Email + ")"
		}
		opts = append(opts, slack.NewOptionBlockObject(p.Email, plain(clipPlain(label, 75)), nil))
	}
	return slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Myself"), fieldSubject, opts...)
}

// denyModal asks a denier for the reason.
func denyModal(ref bridge.Ref, responseURL string) slack.ModalViewRequest {
	meta, _ := json.Marshal(denyMeta{Ref: ref, ResponseURL: responseURL})
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      cbDeny,
		Title:           plain("Deny request"),
		Submit:          plain("Deny"),
		Close:           plain("Cancel"),
		PrivateMetadata: string(meta),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(mrkdwn("Denying *"+esc(ref.Key)+"*. The requester will see your reason."), nil, nil),
			input("reason", "Reason", plainInput("reason", "Why is this denied?", true, 500), false),
		}},
	}
}

// requestFromView reads and validates a submitted request form.
func requestFromView(v slack.View, cat catalog) (accessRequest, map[string]string) {
	vals := map[string]map[string]slack.BlockAction{}
	if v.State != nil {
		vals = v.State.Values
	}
	get := func(field string) slack.BlockAction { return vals[field][field] }
	raw := accessRequest{
		Resource:      get(fieldResource).SelectedOption.Value,
		Duration:      strings.TrimSpace(get(fieldDuration).Value),
		Justification: get(fieldJustification).Value,
	}
	role := get(fieldRole)
	raw.Role = role.Value // plain-text fallback when no resource has roles
	if sel := role.SelectedOption.Value; sel != "" {
		res, r, _ := strings.Cut(sel, "::")
		if !strings.EqualFold(res, raw.Resource) {
			return accessRequest{}, map[string]string{fieldRole: "That role belongs to " + res + "; pick a role of the chosen resource."}
		}
		raw.Role = r
	}
	if s := get(fieldSubject).SelectedOption.Value; s != "" && s != subjectSelf {
		raw.Subject = s
	}
	if raw.Resource == "" {
		return accessRequest{}, map[string]string{fieldResource: "Choose a resource."}
	}
	return validateRequest(raw, cat)
}

// workModalFill adds "on behalf of" once the requester's service accounts
// are known. A modal closed meanwhile is not an error.
func (a *App) workModalFill(ctx context.Context, j modalFillJob) error {
	lister, ok := a.dir.(OwnedLister)
	if !ok {
		return nil
	}
	p, refusal, err := a.person(ctx, j.UserID)
	if err != nil || refusal != "" {
		return err
	}
	owned, err := lister.OwnedBy(ctx, p.Email)
	if err != nil {
		return err
	}
	var subjects []policy.Person
	for _, o := range owned {
		if o.NonHuman() && o.Active && strings.EqualFold(o.Owner, p.Email) {
			subjects = append(subjects, o)
		}
	}
	if len(subjects) == 0 {
		return nil
	}
	view := requestModal(a.catalog(), subjects, j.Meta)
	_, err = a.api.UpdateViewContext(ctx, view, "", j.Hash, j.ViewID)
	switch code := slackCode(err); code {
	case "not_found", "hash_conflict", "view_not_found":
		return nil // submitted, closed or edited meanwhile
	}
	return upstream("views.update", err)
}

func input(id, label string, el slack.BlockElement, optional bool) *slack.InputBlock {
	b := slack.NewInputBlock(id, plain(label), nil, el)
	b.Optional = optional
	return b
}

func plainInput(actionID, placeholder string, multiline bool, maxLen int) *slack.PlainTextInputBlockElement {
	el := slack.NewPlainTextInputBlockElement(plain(placeholder), actionID)
	el.Multiline = multiline
	el.MaxLength = maxLen
	return el
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func clipPlain(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
