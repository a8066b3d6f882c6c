package bridge

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Source is a ticketing system as the pipeline uses it.
type Source interface {
	// Name is the source's id in URLs, refs and the store: jira, servicenow, github.
	Name() string
	// Fetch re-reads one ticket, comments included, normalized.
	Fetch(ctx context.Context, key string) (Ticket, error)
	// Webhook authenticates and parses one delivery. body is the raw body,
	// already size-limited. Errors wrap ErrUnauthorized or ErrMalformed.
	Webhook(r *http.Request, body []byte) ([]Event, error)
	// Poll returns events since cursor and the cursor to resume from.
	Poll(ctx context.Context, cursor string) (events []Event, next string, err error)
	// Apply performs one action. It must be safe to call again after a
	// crash: upsert rather than create.
	Apply(ctx context.Context, a Action) (ActionResult, error)
}

// Sentinel errors adapters wrap so the HTTP layer and the pipeline can
// answer and retry correctly.
var (
	ErrUnauthorized = errors.New("unauthorized") // bad or missing signature / token: 401
	ErrMalformed    = errors.New("malformed")    // unparseable input: 400
	ErrNotFound     = errors.New("not found")    // the ticket or person does not exist
	ErrIgnored      = errors.New("ignored")      // valid but out of scope (unknown project, PR comment)
	ErrPermanent    = errors.New("permanent")    // retrying cannot help (4xx other than 429)
)

// UpstreamError is an adapter's failure with a reason (a metric label) and
// whether the pipeline should retry it.
type UpstreamError struct {
	Op        string // fetch, comment, label, …
	Status    int    // HTTP status, 0 for transport errors
	Reason    string // short, stable: throttled, server_error, bad_request, auth, …
	Retryable bool
	// RetryAfter is the upstream's own wait (429/503 Retry-After) when the
	// adapter chose not to sleep through it: the job is rescheduled then,
	// freeing its worker instead of parking it.
	RetryAfter time.Duration
	Err        error
}

func (e *UpstreamError) Error() string {
	msg := e.Op + ": " + e.Reason
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *UpstreamError) Unwrap() error { return e.Err }

// Retryable reports whether err is worth retrying. Unknown errors are
// retried: a transient failure must not lose work.
func Retryable(err error) bool {
	var ue *UpstreamError
	if errors.As(err, &ue) {
		return ue.Retryable
	}
	return !errors.Is(err, ErrPermanent) && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrMalformed)
}

// Request is an access request made outside the ticketing tool (the Slack
// command or modal); a Creator turns it into a ticket in the configured backend.
type Request struct {
	Requester     string            `json:"requester"` // directory email
	Subject       string            `json:"subject,omitempty"`
	Resource      string            `json:"resource"`
	Role          string            `json:"role,omitempty"`
	Duration      string            `json:"duration,omitempty"` // as typed: 8h, 7d
	Justification string            `json:"justification,omitempty"`
	Channel       string            `json:"channel,omitempty"` // where it was asked: slack
	Extra         map[string]string `json:"extra,omitempty"`
}

// Creator creates tickets; implemented by sources that accept new requests.
type Creator interface {
	Create(ctx context.Context, req Request) (Ticket, error)
}

// Directory looks people up in HR / directory data. An unreachable
// directory returns an error that is not ErrNotFound: evaluation fails closed.
type Directory interface {
	Lookup(ctx context.Context, email string) (Person, error) // ErrNotFound when absent
}
