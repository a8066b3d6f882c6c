package slack

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestModalOpenFillAndSubmit(t *testing.T) {
	e := newEnv(t)
	w, ru := e.command(t, "UALICE", "")
	if w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Fatalf("ack %d %q", w.Code, w.Body)
	}
	views := e.fake.Views()
	if len(views) != 1 || views[0].TriggerID != "1337.UALICE" || views[0].CallbackID != cbRequest {
		t.Fatalf("views = %+v", views)
	}
	res, _ := views[0].Block(fieldResource)
	if len(res.Options) != 3 || res.Options[0].Value != "prod-db" {
		t.Fatalf("resource options = %+v", res.Options)
	}
	if _, ok := views[0].Block(fieldSubject); ok {
		t.Fatal("on-behalf-of shown before the directory was asked")
	}
	e.drain(t) // the fill job adds alice's service accounts
	v := e.fake.Views()[0]
	subj, ok := v.Block(fieldSubject)
	if !ok || len(subj.Options) != 2 || subj.Options[1].Value != "svc-ci@example.com" {
		t.Fatalf("subject options = %+v", subj.Options)
	}

	submit := func(state map[string]any) *json.Decoder {
		w := e.interact(t, map[string]any{
			"type": "view_submission", "user": map[string]any{"id": "UALICE"},
			"view": map[string]any{"id": v.ID, "hash": v.Hash, "callback_id": cbRequest,
				"private_metadata": v.PrivateMetadata, "state": map[string]any{"values": state}},
		})
		if w.Code != http.StatusOK {
			t.Fatalf("submission answered %d", w.Code)
		}
		return json.NewDecoder(strings.NewReader(w.Body.String()))
	}
	var resp struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	// Role of another resource and a bad duration: errors inline, nothing enqueued.
	_ = submit(map[string]any{
		fieldResource: map[string]any{fieldResource: map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "vpn"}}},
		fieldRole:     map[string]any{fieldRole: map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "prod-db::admin"}}},
	}).Decode(&resp)
	if resp.ResponseAction != "errors" || !strings.Contains(resp.Errors[fieldRole], "belongs to prod-db") {
		t.Fatalf("resp = %+v", resp)
	}
	resp.Errors = nil
	_ = submit(map[string]any{
		fieldResource: map[string]any{fieldResource: map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "prod-db"}}},
		fieldRole:     map[string]any{fieldRole: map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "prod-db::admin"}}},
		fieldDuration: map[string]any{fieldDuration: map[string]any{"type": "plain_text_input", "value": "3 weeks"}},
	}).Decode(&resp)
	if !strings.Contains(resp.Errors[fieldDuration], "at most 7d") {
		t.Fatalf("resp = %+v", resp)
	}
	if len(e.be.jobs) != 0 {
		t.Fatal("invalid submission enqueued")
	}
	// A good one closes the modal and files the request on behalf of svc-ci.
	if err := submit(map[string]any{
		fieldResource:      map[string]any{fieldResource: map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "prod-db"}}},
		fieldRole:          map[string]any{fieldRole: map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "prod-db::read"}}},
		fieldDuration:      map[string]any{fieldDuration: map[string]any{"type": "plain_text_input", "value": "5 days"}},
		fieldJustification: map[string]any{fieldJustification: map[string]any{"type": "plain_text_input", "value": "nightly job"}},
		fieldSubject:       map[string]any{fieldSubject: map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "svc-ci@example.com"}}},
	}).Decode(&resp); err == nil {
		t.Fatalf("good submission answered a body: %+v", resp)
	}
	e.drain(t)
	if len(e.be.submitted) != 1 {
		t.Fatalf("submitted %d", len(e.be.submitted))
	}
	got := e.be.submitted[0]
	if got.Requester != "alice@example.com" || got.Subject != "svc-ci@example.com" || got.Role != "read" || got.Duration != "5d" {
		t.Fatalf("request = %+v", got)
	}
	if txt := e.responses(ru); !strings.Contains(txt, "Filed") {
		t.Fatalf("requester told %q", txt)
	}
}

func TestModalSubjectMustBeOwned(t *testing.T) {
	e := newEnv(t)
	// eve forges a submission naming alice's service account.
	e.interact(t, map[string]any{
		"type": "view_submission", "user": map[string]any{"id": "UEVE"},
		"view": map[string]any{"id": "V1", "callback_id": cbRequest, "state": map[string]any{"values": map[string]any{
			fieldResource: map[string]any{fieldResource: map[string]any{"selected_option": map[string]any{"value": "vpn"}}},
			fieldSubject:  map[string]any{fieldSubject: map[string]any{"selected_option": map[string]any{"value": "svc-ci@example.com"}}},
		}}},
	})
	e.drain(t)
	if len(e.be.submitted) != 0 {
		t.Fatal("request on behalf of someone else's service account was filed")
	}
	dms := e.fake.DMs("UEVE")
	if len(dms) != 1 || !strings.Contains(dms[0].Text, "not the owner") {
		t.Fatalf("eve's DMs = %+v", dms)
	}
}
