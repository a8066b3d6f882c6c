// Package slack is the bridge's Slack app: the /access slash command and
// request modal, the Approve/Deny buttons approvers get, and the messages
// that keep requesters and approvers informed and are updated in place.
//
// Handlers only verify, parse and validate locally, then hand work to the
// pipeline as durable jobs (Backend.Enqueue); the pipeline later runs
// (*App).Work, which talks to Slack, the directory and the backend.
package slack

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/policy"
)

// Backend is what the Slack app needs from the pipeline.
type Backend interface {
	// Enqueue stores a durable job; the pipeline later calls (*App).Work(ctx, kind, payload).
	Enqueue(ctx context.Context, kind string, payload []byte) error
	// Submit creates the ticket in the configured ticket backend, records it and enqueues its evaluation.
	Submit(ctx context.Context, req bridge.Request) (policy.Ticket, error)
	// Status returns bridge.ErrNotFound for an unknown ticket.
	Status(ctx context.Context, ref bridge.Ref) (Status, error)
	Mine(ctx context.Context, requester string) ([]Status, error)
	// Approve records an approval (idempotently), mirrors it to the ticket and re-evaluates.
	Approve(ctx context.Context, ref bridge.Ref, a policy.Approval) error
	Audit(ctx context.Context, kind string, ref bridge.Ref, data any) error
	Policy() *policy.Policy // current policy; nil while none is loaded
}

// catalog is the resource catalog as the parsers read it; *policy.Policy
// satisfies it.
type catalog interface {
	Resources() []policy.Resource
	Resource(name string) (policy.Resource, bool) // by name or alias, case-insensitive
}

// catalog returns the current policy's catalog, or an empty one while no
// policy is loaded (everything is then refused as an unknown resource).
func (a *App) catalog() catalog {
	if p := a.b.Policy(); p != nil {
		return p
	}
	return emptyCatalog{}
}

// rule returns the approval rule called name in the current policy.
func (a *App) rule(name string) (policy.ApprovalRule, bool) {
	if p := a.b.Policy(); p != nil {
		return p.Rule(name)
	}
	return policy.ApprovalRule{}, false
}

type emptyCatalog struct{}

func (emptyCatalog) Resources() []policy.Resource            { return nil }
func (emptyCatalog) Resource(string) (policy.Resource, bool) { return policy.Resource{}, false }

// Status is a ticket's current state as the Slack app shows it.
type Status struct {
	Ticket                   bridge.Ref
	URL, Summary             string
	Requester, Subject       string
	Resource, Role, Duration string
	Justification            string
	Category, Impact         string
	Verdict                  policy.Verdict
	Missing                  []policy.Requirement
	Approvers                []string
	Eligible                 bool
	EligibilityReason        string
	Channels                 []string // where approvals may be given; empty = any
	Rule                     string
	UpdatedAt                time.Time
	Reasons                  []string  // denied / error: why (optional)
	GrantUntil               time.Time // allowed: when the grant expires (optional)
}

// Directory looks people up for the Slack app.
type Directory interface {
	Lookup(ctx context.Context, email string) (policy.Person, error) // bridge.ErrNotFound when absent
	Members(ctx context.Context, group string) ([]policy.Person, error)
}

// OwnedLister is optionally implemented by a Directory: the non-human
// identities whose owner is the given person. With it the request modal
// offers "on behalf of" a service account the requester owns.
type OwnedLister interface {
	OwnedBy(ctx context.Context, owner string) ([]policy.Person, error)
}

// MessageStore persists the chat messages sent about a ticket so later
// notifications update them in place.
type MessageStore interface {
	PutMessage(ctx context.Context, m bridge.Message) error
	Messages(ctx context.Context, ref bridge.Ref) ([]bridge.Message, error)
}

// App is the Slack app. Safe for concurrent use.
type App struct {
	cfg  Config
	b    Backend
	dir  Directory
	msgs MessageStore
	log  *slog.Logger
	now  func() time.Time
	api  *slack.Client

	dmMu sync.Mutex
	dms  map[string]string // directory email → DM channel id
}

// New builds the app. now is the clock used for signatures, approvals and
// reminders; nil means time.Now.
func New(cfg Config, b Backend, dir Directory, msgs MessageStore, log *slog.Logger, now func() time.Time) (*App, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if b == nil || dir == nil || msgs == nil {
		return nil, errors.New("slack: backend, directory and message store are required")
	}
	if log == nil {
		log = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	api := slack.New(string(cfg.BotToken),
		slack.OptionAPIURL(cfg.APIURL),
		slack.OptionHTTPClient(newHTTPClient(cfg, log)))
	return &App{cfg: cfg, b: b, dir: dir, msgs: msgs, log: log.With("adapter", "slack"),
		now: now, api: api, dms: map[string]string{}}, nil
}
