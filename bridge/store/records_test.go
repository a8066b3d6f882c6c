package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/store"
	"github.com/accessbridge/accessbridge/bridge/store/storetest"
	"github.com/accessbridge/accessbridge/policy"
)

var t0 = time.Date(2026, 3, 1, 9, 30, 0, 123456789, time.UTC)

func TestInsertDeliveryDedupe(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		big := bytes.Repeat([]byte("x"), store.MaxDeliveryBody+10)
		steps := []struct {
			d         store.Delivery
			wantFresh bool
		}{
			{store.Delivery{Source: "jira", DeliveryID: "d1", Status: "accepted", Body: []byte("{}")}, true},
			{store.Delivery{Source: "jira", DeliveryID: "d1", Status: "accepted"}, false},
			{store.Delivery{Source: "github", DeliveryID: "d1", Status: "accepted"}, true},
			{store.Delivery{Source: "jira", DeliveryID: "d1", Status: "duplicate"}, true},
			{store.Delivery{Source: "jira", DeliveryID: "d2", Status: "rejected", Reason: "bad signature", Remote: "127.0.0.1", Body: big}, true},
			{store.Delivery{Source: "jira", DeliveryID: "d2", Status: "rejected", Reason: "bad signature"}, true},
			{store.Delivery{Source: "jira", DeliveryID: "d3", Status: "ignored", Body: []byte("pr comment")}, true},
		}
		for i, s := range steps {
			fresh, err := st.InsertDelivery(ctx, st.DB(), s.d)
			if err != nil || fresh != s.wantFresh {
				t.Fatalf("step %d: fresh=%v err=%v, want %v", i, fresh, err, s.wantFresh)
			}
		}
		if _, err := st.InsertDelivery(ctx, st.DB(), store.Delivery{Source: "jira", Status: "bogus"}); err == nil {
			t.Fatal("unknown status accepted")
		}
		counts, err := st.CountDeliveries(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"accepted": 2, "duplicate": 1, "rejected": 2, "ignored": 1}
		if !reflect.DeepEqual(counts, want) {
			t.Fatalf("counts = %v, want %v", counts, want)
		}
		rej, err := st.Deliveries(ctx, "jira", "rejected", 10)
		if err != nil || len(rej) != 2 {
			t.Fatalf("rejected = %d, %v", len(rej), err)
		}
		old := rej[1] // newest first
		if len(old.Body) != store.MaxDeliveryBody || old.Reason != "bad signature" || old.Remote != "127.0.0.1" || old.ReceivedAt.IsZero() {
			t.Fatalf("rejected delivery = body %d reason %q remote %q at %v", len(old.Body), old.Reason, old.Remote, old.ReceivedAt)
		}
		acc, _ := st.Deliveries(ctx, "", "accepted", 0)
		if len(acc) != 2 || acc[0].Body != nil {
			t.Fatalf("accepted = %+v", acc)
		}
		all, _ := st.Deliveries(ctx, "", "", 3)
		if len(all) != 3 {
			t.Fatalf("limit: got %d", len(all))
		}
		n, err := st.PruneDeliveries(ctx, time.Now().Add(time.Hour))
		if err != nil || n != 6 {
			t.Fatalf("prune = %d, %v", n, err)
		}
	})
}

func TestTickets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		in := store.TicketState{
			Source: "jira", Key: "IT-1", URL: "https://jira.example/browse/IT-1", Project: "IT",
			Summary: "admin on prod", Requester: "Alice@Example.com", Status: "Open", AllowedStatus: "Open",
			Verdict: "pending", Digest: "sha256:ab", Category: "privileged_access", Impact: "critical",
			Rule: "privileged", Missing: []string{"manager", "group:security"},
			Decision: json.RawMessage(`{"verdict":"pending"}`), Open: true, AuditSeq: 7, Evaluations: 2,
			CreatedAt: t0, FirstSeen: t0.Add(time.Minute), DecidedAt: t0.Add(2 * time.Minute), UpdatedAt: t0.Add(3 * time.Minute),
		}
		if _, found, err := st.Ticket(ctx, st.DB(), in.Ref()); found || err != nil {
			t.Fatalf("before put: found=%v err=%v", found, err)
		}
		if err := st.PutTicket(ctx, st.DB(), in); err != nil {
			t.Fatal(err)
		}
		got, found, err := st.Ticket(ctx, st.DB(), in.Ref())
		if err != nil || !found {
			t.Fatalf("found=%v err=%v", found, err)
		}
		assertTicket(t, got, in)

		upd := in
		upd.Verdict, upd.Missing, upd.Open, upd.Evaluations = "allowed", nil, false, 3
		upd.FirstSeen = t0.Add(time.Hour) // ignored: first seen stays
		upd.Decision = nil
		if err := st.PutTicket(ctx, st.DB(), upd); err != nil {
			t.Fatal(err)
		}
		got, _, _ = st.Ticket(ctx, st.DB(), in.Ref())
		upd.FirstSeen, upd.Missing = in.FirstSeen, []string{}
		assertTicket(t, got, upd)
	})
}

func assertTicket(t *testing.T, got, want store.TicketState) {
	t.Helper()
	if !jsonEqual(got.Decision, want.Decision) {
		t.Fatalf("decision = %s, want %s", got.Decision, want.Decision)
	}
	got.Decision, want.Decision = nil, nil
	for _, p := range []*time.Time{&want.CreatedAt, &want.FirstSeen, &want.DecidedAt, &want.UpdatedAt} {
		*p = store.Norm(*p)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ticket\n got %+v\nwant %+v", got, want)
	}
}

func jsonEqual(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

func TestOpenTicketsPaging(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		put := func(src, key, requester string, open bool) {
			t.Helper()
			err := st.PutTicket(ctx, st.DB(), store.TicketState{Source: src, Key: key, Requester: requester, Open: open})
			if err != nil {
				t.Fatal(err)
			}
		}
		put("github", "o/r#1", "bob@example.com", true)
		put("jira", "IT-1", "alice@example.com", true)
		put("jira", "IT-2", "ALICE@example.com", false)
		put("jira", "IT-3", "alice@example.com", true)
		put("servicenow", "RITM1", "alice@example.com", true)

		var seen []string
		after := bridge.Ref{}
		for {
			page, err := st.OpenTickets(ctx, "", after, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, p := range page {
				seen = append(seen, p.Ref().String())
			}
			after = page[len(page)-1].Ref()
		}
		want := []string{"github:o/r#1", "jira:IT-1", "jira:IT-3", "servicenow:RITM1"}
		if !reflect.DeepEqual(seen, want) {
			t.Fatalf("all sources: %v, want %v", seen, want)
		}
		jira, err := st.OpenTickets(ctx, "jira", bridge.Ref{Source: "jira", Key: "IT-1"}, 10)
		if err != nil || len(jira) != 1 || jira[0].Key != "IT-3" {
			t.Fatalf("jira after IT-1: %+v %v", jira, err)
		}
		mine, err := st.TicketsByRequester(ctx, "alice@EXAMPLE.com", false)
		if err != nil || len(mine) != 4 {
			t.Fatalf("by requester: %d %v", len(mine), err)
		}
		open, _ := st.TicketsByRequester(ctx, "alice@example.com", true)
		if len(open) != 3 {
			t.Fatalf("open by requester: %d", len(open))
		}
	})
}

func TestApprovals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ref := bridge.Ref{Source: "jira", Key: "IT-1"}
		a := policy.Approval{By: "bob@example.com", At: t0, Channel: "slack", SourceUser: "U1", Digest: "sha256:1"}
		deny := policy.Approval{By: "carol@example.com", Decision: policy.Deny, Reason: "no", At: t0.Add(time.Minute), Channel: "slack"}
		steps := []struct {
			a    policy.Approval
			want bool
		}{
			{a, true},
			{a, false},
			{func() policy.Approval { x := a; x.Decision = policy.Approve; return x }(), false}, // "" means approve
			{func() policy.Approval { x := a; x.Digest = "sha256:2"; return x }(), true},
			{deny, true},
		}
		for i, s := range steps {
			added, err := st.AddApproval(ctx, st.DB(), ref, s.a)
			if err != nil || added != s.want {
				t.Fatalf("step %d: added=%v err=%v want %v", i, added, err, s.want)
			}
		}
		got, err := st.Approvals(ctx, st.DB(), ref)
		if err != nil || len(got) != 3 {
			t.Fatalf("approvals: %d %v", len(got), err)
		}
		wantFirst := a
		wantFirst.Decision, wantFirst.At = policy.Approve, store.Norm(a.At)
		if !reflect.DeepEqual(got[0], wantFirst) {
			t.Fatalf("first = %+v, want %+v", got[0], wantFirst)
		}
		if got[2].By != deny.By || !got[2].Denies() || got[2].Reason != "no" {
			t.Fatalf("last = %+v", got[2])
		}
		if other, _ := st.Approvals(ctx, st.DB(), bridge.Ref{Source: "jira", Key: "IT-2"}); len(other) != 0 {
			t.Fatalf("other ticket has %d approvals", len(other))
		}
	})
}

func TestGrants(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ref := bridge.Ref{Source: "jira", Key: "IT-1"}
		ent := policy.Entitlement{Resource: "aws-prod", Role: "admin", Duration: 8 * time.Hour, Subject: "alice@example.com"}
		g := bridge.Grant{Ticket: ref, Subject: "alice@example.com", Entitlement: ent, GrantedAt: t0, ExpiresAt: t0.Add(8 * time.Hour)}
		id1, err := st.PutGrant(ctx, st.DB(), g)
		if err != nil {
			t.Fatal(err)
		}
		g.ExpiresAt = t0.Add(4 * time.Hour) // same active grant: updated in place
		id2, err := st.PutGrant(ctx, st.DB(), g)
		if err != nil || id2 != id1 {
			t.Fatalf("re-put: id %d vs %d, %v", id2, id1, err)
		}
		perm := bridge.Grant{Ticket: ref, Subject: "alice@example.com", Entitlement: policy.Entitlement{Resource: "wiki", Role: "edit"}, GrantedAt: t0}
		idPerm, _ := st.PutGrant(ctx, st.DB(), perm)

		due, err := st.DueGrants(ctx, t0.Add(3*time.Hour), 10)
		if err != nil || len(due) != 0 {
			t.Fatalf("due early: %v %v", due, err)
		}
		due, _ = st.DueGrants(ctx, t0.Add(4*time.Hour), 10)
		if len(due) != 1 || due[0].ID != id1 || !due[0].ExpiresAt.Equal(t0.Add(4*time.Hour).Truncate(time.Microsecond)) || due[0].Entitlement != ent {
			t.Fatalf("due = %+v", due)
		}
		if err := st.RevokeGrant(ctx, st.DB(), id1, t0.Add(5*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := st.RevokeGrant(ctx, st.DB(), id1, t0.Add(6*time.Hour)); err != nil {
			t.Fatalf("second revoke: %v", err)
		}
		if err := st.RevokeGrant(ctx, st.DB(), 99999, t0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown revoke: %v", err)
		}
		if due, _ = st.DueGrants(ctx, t0.Add(100*time.Hour), 10); len(due) != 0 {
			t.Fatalf("due after revoke: %+v", due)
		}
		// After revocation the same access can be granted anew.
		id3, err := st.PutGrant(ctx, st.DB(), g)
		if err != nil || id3 == id1 {
			t.Fatalf("re-grant: id %d, %v", id3, err)
		}
		all, _ := st.Grants(ctx, ref)
		if len(all) != 3 || all[0].ID != id1 || all[1].ID != idPerm || all[2].ID != id3 {
			t.Fatalf("grants = %+v", all)
		}
		if !all[0].RevokedAt.Equal(t0.Add(5*time.Hour).Truncate(time.Microsecond)) || !all[1].ExpiresAt.IsZero() {
			t.Fatalf("revoked_at %v, perm expiry %v", all[0].RevokedAt, all[1].ExpiresAt)
		}
	})
}

func TestCursorsActionsMessages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if c, err := st.Cursor(ctx, "jira"); c != "" || err != nil {
			t.Fatalf("empty cursor = %q %v", c, err)
		}
		for _, c := range []string{"2026-03-01T00:00", "2026-03-02T00:00"} {
			if err := st.SetCursor(ctx, st.DB(), "jira", c); err != nil {
				t.Fatal(err)
			}
		}
		if c, _ := st.Cursor(ctx, "jira"); c != "2026-03-02T00:00" {
			t.Fatalf("cursor = %q", c)
		}

		ref := bridge.Ref{Source: "jira", Key: "IT-1"}
		a := bridge.Action{Kind: bridge.ActionComment, Ticket: ref, Digest: "sha256:1", Body: "pending"}
		key := a.IdempotencyKey()
		if done, err := st.ActionDone(ctx, st.DB(), key); done || err != nil {
			t.Fatalf("done before = %v %v", done, err)
		}
		if err := st.MarkAction(ctx, st.DB(), key, a, bridge.ActionResult{ID: "c-1"}); err != nil {
			t.Fatal(err)
		}
		if err := st.MarkAction(ctx, st.DB(), key, a, bridge.ActionResult{ID: "c-2"}); err != nil {
			t.Fatalf("second mark: %v", err)
		}
		if done, _ := st.ActionDone(ctx, st.DB(), key); !done {
			t.Fatal("not done after mark")
		}
		rows, err := st.Actions(ctx, ref)
		if err != nil || len(rows) != 1 || rows[0].Result.ID != "c-1" || !reflect.DeepEqual(rows[0].Action, a) || rows[0].Key != key {
			t.Fatalf("actions = %+v %v", rows, err)
		}

		m := bridge.Message{Ticket: ref, Person: "bob@example.com", Kind: "approval", Channel: "D1", TS: "1.1", SentAt: t0}
		if err := st.PutMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		m.TS = "1.2"
		if err := st.PutMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		m2 := bridge.Message{Ticket: ref, Person: "alice@example.com", Kind: "requester", Channel: "D2", TS: "2.1", SentAt: t0}
		if err := st.PutMessage(ctx, m2); err != nil {
			t.Fatal(err)
		}
		msgs, err := st.Messages(ctx, ref)
		m.SentAt, m2.SentAt = store.Norm(t0), store.Norm(t0)
		if err != nil || !reflect.DeepEqual(msgs, []bridge.Message{m2, m}) {
			t.Fatalf("messages = %+v %v", msgs, err)
		}
	})
}
