package jira

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// Deployments.
const (
	Cloud      = "cloud"
	DataCenter = "datacenter"
)

// Secret is a credential. It prints and marshals as [redacted]; use
// Reveal only where the value goes on the wire.
type Secret string

func (Secret) String() string               { return "[redacted]" }
func (Secret) GoString() string             { return "[redacted]" }
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"[redacted]"`), nil }
func (Secret) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }
func (Secret) LogValue() slog.Value         { return slog.StringValue("[redacted]") }
func (s Secret) Reveal() string             { return string(s) }
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("[redacted]")) }

// Config is the Jira source's configuration. The env tags suit
// github.com/sethvargo/go-envconfig under a prefix such as BRIDGE_JIRA_;
// maps are written "name:value,name:value".
type Config struct {
	URL        string `env:"URL" json:"url"`                              // https://acme.atlassian.net
	Deployment string `env:"DEPLOYMENT, default=cloud" json:"deployment"` // cloud | datacenter
	Email      string `env:"EMAIL" json:"email,omitempty"`                // Cloud: the bridge account's email
	APIToken   Secret `env:"API_TOKEN" json:"api_token,omitempty"`        // Cloud: Basic email:token
	PAT        Secret `env:"PAT" json:"pat,omitempty"`                    // Data Center: Bearer personal access token
	// WebhookSecret verifies X-Hub-Signature. Empty refuses every
	// delivery (polling only; a warning is logged at start).
	WebhookSecret Secret   `env:"WEBHOOK_SECRET" json:"webhook_secret,omitempty"`
	Projects      []string `env:"PROJECTS" json:"projects"`                                 // watched project keys; the first receives created requests
	IssueTypes    []string `env:"ISSUE_TYPES" json:"issue_types,omitempty"`                 // watched issue types; empty = all
	RequestType   string   `env:"REQUEST_TYPE, default=Access Request" json:"request_type"` // issue type Create uses
	// JQL restricts polling; the bridge appends the updated clause and
	// ORDER BY. Default: project in (…) [AND issuetype in (…)].
	JQL          string        `env:"JQL" json:"jql,omitempty"`
	PollOverlap  time.Duration `env:"POLL_OVERLAP, default=2m" json:"poll_overlap"`    // re-read this much before the cursor (JQL has minute precision)
	PollLookback time.Duration `env:"POLL_LOOKBACK, default=24h" json:"poll_lookback"` // first poll without a cursor
	// TimeZone is the bridge account's Jira profile time zone: JQL dates
	// are read in it.
	TimeZone string `env:"TIME_ZONE, default=UTC" json:"time_zone"`
	PageSize int    `env:"PAGE_SIZE, default=100" json:"page_size"`
	// FieldMap names custom fields: resource:customfield_10050,role:…,
	// duration:…, subject:…, justification:…
	FieldMap map[string]string `env:"FIELD_MAP" json:"field_map,omitempty"`
	// FieldTypes says how Create writes a mapped field: text (default),
	// select ({"value":…}) or user (DC {"name":…}, Cloud {"accountId":…}).
	FieldTypes map[string]string `env:"FIELD_TYPES" json:"field_types,omitempty"`
	// AccountEmails maps Cloud accountIds (or DC usernames) to directory
	// emails when Jira hides them.
	AccountEmails map[string]string `env:"ACCOUNT_EMAILS" json:"account_emails,omitempty"`
	// BotAccount is the bridge's own accountId (Cloud) or username (DC);
	// empty = asked from /myself on first need.
	BotAccount  string `env:"BOT_ACCOUNT" json:"bot_account,omitempty"`
	EvidenceURL string `env:"EVIDENCE_URL" json:"evidence_url,omitempty"` // base URL of the bridge; comments link <base>/v1/tickets/jira/<key>

	Timeout time.Duration `env:"TIMEOUT, default=30s" json:"timeout"` // per HTTP attempt
	// In-place retries stay short (a worker waits through them); a longer
	// outage is retried by the job engine with backoff, worker freed.
	RetryWaitMin time.Duration `env:"RETRY_WAIT_MIN, default=250ms" json:"retry_wait_min"`
	RetryWaitMax time.Duration `env:"RETRY_WAIT_MAX, default=2s" json:"retry_wait_max"`
	RetryMax     int           `env:"RETRY_MAX, default=2" json:"retry_max"`
	// MaxRetryAfter caps a server's Retry-After so a bad header cannot
	// park a worker for hours; the job-level retry takes over beyond it.
	MaxRetryAfter time.Duration `env:"MAX_RETRY_AFTER, default=60s" json:"max_retry_after"`
	// SharedStore: several bridge processes (replicas on PostgreSQL) apply
	// actions to the same issues, so this process's memory of "no bridge
	// comment yet" may be out of date: comments are listed before a new
	// one is posted. Set by the wiring, not by the environment.
	SharedStore bool `json:"-"`
	// InlineRetryAfter: a Retry-After at least this long is handed back
	// to the job engine (the job is rescheduled) instead of slept through
	// by a worker; shorter waits are retried in place.
	InlineRetryAfter time.Duration `env:"INLINE_RETRY_AFTER, default=1s" json:"inline_retry_after"`
}

func (c *Config) setDefaults() {
	if c.Deployment == "" {
		c.Deployment = Cloud
	}
	c.Deployment = strings.ToLower(c.Deployment)
	if c.Deployment == "dc" || c.Deployment == "server" {
		c.Deployment = DataCenter
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.PollOverlap, 2*time.Minute)
	def(&c.PollLookback, 24*time.Hour)
	def(&c.Timeout, 30*time.Second)
	def(&c.RetryWaitMin, 250*time.Millisecond)
	def(&c.RetryWaitMax, 2*time.Second)
	def(&c.MaxRetryAfter, 60*time.Second)
	def(&c.InlineRetryAfter, time.Second)
	if c.RetryMax < 0 {
		c.RetryMax = 0
	} else if c.RetryMax == 0 {
		c.RetryMax = 2
	}
	if c.PageSize <= 0 {
		c.PageSize = 100
	}
	if c.RequestType == "" {
		c.RequestType = "Access Request"
	}
	if c.TimeZone == "" {
		c.TimeZone = "UTC"
	}
}

// validate reports every configuration problem at once. It never echoes
// a credential.
func (c *Config) validate() error {
	var errs []error
	u, err := url.Parse(c.URL)
	switch {
	case c.URL == "" || err != nil || u.Host == "":
		errs = append(errs, errors.New("jira: URL must be an absolute http(s) URL"))
	case u.Scheme != "https" && u.Scheme != "http":
		errs = append(errs, errors.New("jira: URL scheme must be http or https"))
	case u.User != nil:
		errs = append(errs, errors.New("jira: URL must not carry credentials; use EMAIL/API_TOKEN or PAT"))
	}
	switch c.Deployment {
	case Cloud:
		if c.Email == "" || c.APIToken == "" {
			errs = append(errs, errors.New("jira: cloud needs EMAIL and API_TOKEN"))
		}
	case DataCenter:
		if c.PAT == "" {
			errs = append(errs, errors.New("jira: datacenter needs PAT"))
		}
	default:
		errs = append(errs, fmt.Errorf("jira: DEPLOYMENT %q: want cloud or datacenter", c.Deployment))
	}
	if len(c.Projects) == 0 {
		errs = append(errs, errors.New("jira: PROJECTS must name at least one project key"))
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		errs = append(errs, fmt.Errorf("jira: TIME_ZONE: %w", err))
	}
	if c.RetryWaitMin > c.RetryWaitMax {
		errs = append(errs, errors.New("jira: RETRY_WAIT_MIN exceeds RETRY_WAIT_MAX"))
	}
	return errors.Join(errs...)
}

// Mapping returns the normalization settings derived from c.
func (c Config) Mapping() Mapping {
	return Mapping{
		BaseURL:       strings.TrimRight(c.URL, "/"),
		FieldMap:      c.FieldMap,
		AccountEmails: c.AccountEmails,
		BotAccount:    c.BotAccount,
	}
}
