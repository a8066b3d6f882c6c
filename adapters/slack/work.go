package slack

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/accessbridge/accessbridge/bridge"
)

// Job kinds the app enqueues and later runs in Work.
const (
	JobRequest   = "slack.request"    // submit a request from the command or the modal
	JobStatus    = "slack.status"     // answer /access status and /access mine
	JobDecision  = "slack.decision"   // an Approve click or a Deny with reason
	JobModalFill = "slack.modal_fill" // add the requester's service accounts to an open modal
)

// requestJob is a validated request waiting for identity checks and Submit.
type requestJob struct {
	UserID      string        `json:"user_id"`
	ResponseURL string        `json:"response_url,omitempty"`
	Request     accessRequest `json:"request"`
	Via         string        `json:"via"` // command or modal
	Key         string        `json:"key"` // idempotency key for Submit
}

type statusJob struct {
	UserID      string      `json:"user_id"`
	ResponseURL string      `json:"response_url"`
	Ref         *bridge.Ref `json:"ref,omitempty"`
	Mine        bool        `json:"mine,omitempty"`
}

type decisionJob struct {
	UserID      string     `json:"user_id"`
	Ref         bridge.Ref `json:"ref"`
	Decision    string     `json:"decision"` // policy.Approve or policy.Deny
	Reason      string     `json:"reason,omitempty"`
	ResponseURL string     `json:"response_url,omitempty"`
	ActionTS    string     `json:"action_ts,omitempty"`
}

type modalFillJob struct {
	UserID string `json:"user_id"`
	ViewID string `json:"view_id"`
	Hash   string `json:"hash"`
	Meta   string `json:"meta,omitempty"` // private_metadata to keep
}

// Work runs one job the handlers enqueued. Errors are *bridge.UpstreamError
// (or wrap bridge sentinels) so the pipeline knows whether to retry.
func (a *App) Work(ctx context.Context, kind string, payload []byte) error {
	switch kind {
	case JobRequest:
		return run(ctx, payload, a.workRequest)
	case JobStatus:
		return run(ctx, payload, a.workStatus)
	case JobDecision:
		return run(ctx, payload, a.workDecision)
	case JobModalFill:
		return run(ctx, payload, a.workModalFill)
	}
	return fmt.Errorf("slack: unknown job kind %q: %w", kind, bridge.ErrPermanent)
}

func run[T any](ctx context.Context, payload []byte, fn func(context.Context, T) error) error {
	var job T
	if err := json.Unmarshal(payload, &job); err != nil {
		return fmt.Errorf("slack: job payload: %w", bridge.ErrMalformed)
	}
	return fn(ctx, job)
}

// enqueue marshals and stores a job.
func (a *App) enqueue(ctx context.Context, kind string, job any) error {
	b, err := json.Marshal(job)
	if err != nil {
		return err
	}
	return a.b.Enqueue(ctx, kind, b)
}
