package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/accessbridge/accessbridge/adapters/directory"
	"github.com/accessbridge/accessbridge/adapters/slack"
	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/pipeline"
	"github.com/accessbridge/accessbridge/bridge/store"
	"github.com/accessbridge/accessbridge/policy"
)

// wireSlack adds the Slack app when a signing secret is configured: its two
// endpoints, its durable work and its notifications.
func wireSlack(_ context.Context, cfg serveConfig, log *slog.Logger, st *store.Store, dir *directory.Reloading, w *wiring) error {
	if cfg.Slack.SigningSecret.Value() == "" {
		return nil
	}
	if _, ok := w.sources[cfg.Slack.TicketSource]; !ok {
		return fmt.Errorf("slack: BRIDGE_SLACK_TICKET_SOURCE %q is not a configured source", cfg.Slack.TicketSource)
	}
	b := &slackBackend{source: cfg.Slack.TicketSource}
	app, err := slack.New(slack.Config{
		BotToken: slack.Secret(cfg.Slack.BotToken.Value()), SigningSecret: slack.Secret(cfg.Slack.SigningSecret.Value()),
		APIURL: cfg.Slack.APIURL, ApproverChannel: cfg.Slack.ApproverChannels, FallbackApprover: cfg.Slack.FallbackApprover,
		DefaultSource: cfg.Slack.TicketSource, RetryWaitMin: cfg.Slack.RetryWaitMin, RetryWaitMax: cfg.Slack.RetryWaitMax, RetryMax: cfg.Slack.RetryMax,
	}, b, slackDirectory{dir}, st, log.With("adapter", "slack"), nil)
	if err != nil {
		return fmt.Errorf("slack: %w", err)
	}
	w.routes["POST /slack/commands"] = app.Commands()
	w.routes["POST /slack/interactions"] = app.Interactions()
	w.worker = app
	n := &slackNotifier{app: app, b: b}
	w.notifier = n
	w.bind = func(p *pipeline.Pipeline) { b.p = p }
	return nil
}

// slackBackend is the pipeline as the Slack app sees it.
type slackBackend struct {
	p      *pipeline.Pipeline
	source string
}

func (b *slackBackend) Enqueue(ctx context.Context, kind string, payload []byte) error {
	return b.p.EnqueueAdapter(ctx, kind, payload)
}

func (b *slackBackend) Submit(ctx context.Context, req bridge.Request) (policy.Ticket, error) {
	return b.p.Submit(ctx, b.source, req)
}

func (b *slackBackend) Status(ctx context.Context, ref bridge.Ref) (slack.Status, error) {
	v, err := b.p.View(ctx, ref)
	if err != nil {
		return slack.Status{}, err
	}
	return statusOf(v), nil
}

func (b *slackBackend) Mine(ctx context.Context, requester string) ([]slack.Status, error) {
	views, err := b.p.Requests(ctx, requester)
	if err != nil {
		return nil, err
	}
	out := make([]slack.Status, 0, len(views))
	for _, v := range views {
		out = append(out, statusOf(v))
	}
	return out, nil
}

func (b *slackBackend) Approve(ctx context.Context, ref bridge.Ref, a policy.Approval) error {
	_, err := b.p.Approve(ctx, ref, a)
	return err
}

func (b *slackBackend) Audit(ctx context.Context, kind string, ref bridge.Ref, data any) error {
	return b.p.Record(ctx, kind, ref, data)
}

func (b *slackBackend) Policy() *policy.Policy { return b.p.Policy() }

// statusOf turns the bridge's last decision into what Slack messages show.
func statusOf(v pipeline.View) slack.Status {
	d, st := v.Decision, v.State
	e := d.Classification.Entitlement
	s := slack.Status{
		Ticket: st.Ref(), URL: st.URL, Summary: st.Summary, Requester: st.Requester, Subject: e.Subject,
		Resource: e.Resource, Role: e.Role, Justification: e.Justification,
		Category: string(d.Classification.Category), Impact: d.Classification.Impact.String(),
		Verdict: d.Verdict, Missing: d.Missing, Approvers: d.Approvers, Eligible: true, Channels: d.Channels,
		Rule: d.Rule, UpdatedAt: st.DecidedAt, Reasons: d.Reasons, GrantUntil: d.GrantUntil,
	}
	if e.Duration > 0 {
		s.Duration = e.Duration.String()
	}
	for _, c := range d.Eligibility {
		if !c.Passed {
			s.Eligible, s.EligibilityReason = false, c.Name+": "+c.Reason
			break
		}
	}
	return s
}

// slackNotifier forwards the pipeline's notifications to the Slack app.
type slackNotifier struct {
	app *slack.App
	b   *slackBackend
}

func (n *slackNotifier) Notify(ctx context.Context, ev bridge.Evidence, prev policy.Verdict) error {
	st, err := n.b.Status(ctx, ev.Ticket)
	if err != nil {
		return err
	}
	return n.app.Notify(ctx, st, prev)
}

func (n *slackNotifier) Remind(ctx context.Context, ref bridge.Ref) error {
	return n.app.Remind(ctx, ref)
}

func (n *slackNotifier) NotifyExpiry(ctx context.Context, g bridge.Grant) error {
	return n.app.NotifyExpiry(ctx, g)
}

// slackDirectory offers the modal the service accounts a person owns.
type slackDirectory struct{ *directory.Reloading }

func (d slackDirectory) OwnedBy(ctx context.Context, owner string) ([]policy.Person, error) {
	return d.Owned(ctx, owner)
}
