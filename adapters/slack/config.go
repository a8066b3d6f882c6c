package slack

import (
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Secret holds a credential. It prints as [redacted] in every format and
// in slog, so it cannot leak through logs or error messages.
type Secret string

func (Secret) String() string               { return "[redacted]" }
func (Secret) GoString() string             { return "[redacted]" }
func (Secret) LogValue() slog.Value         { return slog.StringValue("[redacted]") }
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("[redacted]")) }

// Config configures the Slack app.
type Config struct {
	BotToken      Secret
	SigningSecret Secret
	// APIURL is the Web API base, https://slack.com/api/ by default; tests
	// point it at slackfake.
	APIURL string
	// ApproverChannel posts approval requests for a group's requirement
	// into a channel (group → channel id) instead of DMing its members.
	ApproverChannel map[string]string
	// FallbackApprover (directory email) is messaged when a requirement
	// names nobody reachable and on escalation when the rule names no one.
	FallbackApprover string
	Command          string // "/access"
	// DefaultSource is the source of a bare ticket key in /access status KEY.
	DefaultSource string
	RetryWaitMin  time.Duration
	RetryWaitMax  time.Duration
	RetryMax      int
}

func (c *Config) defaults() error {
	if c.BotToken == "" || c.SigningSecret == "" {
		return fmt.Errorf("slack: bot token and signing secret are required")
	}
	if c.APIURL == "" {
		c.APIURL = "https://slack.com/api/"
	}
	if !strings.HasSuffix(c.APIURL, "/") {
		c.APIURL += "/" // slack-go appends the method name directly
	}
	if c.Command == "" {
		c.Command = "/access"
	}
	if c.DefaultSource == "" {
		c.DefaultSource = "jira"
	}
	if c.RetryWaitMin <= 0 {
		c.RetryWaitMin = time.Second
	}
	if c.RetryWaitMax <= 0 {
		c.RetryWaitMax = 30 * time.Second
	}
	if c.RetryMax < 0 {
		c.RetryMax = 0
	} else if c.RetryMax == 0 {
		c.RetryMax = 4
	}
	return nil
}
