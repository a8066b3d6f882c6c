package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/accessbridge/accessbridge/adapters/jira"
)

// secret holds a credential; it prints as [redacted] so it cannot leak
// into logs or error messages.
type secret string

func (secret) String() string                  { return "[redacted]" }
func (secret) GoString() string                { return "[redacted]" }
func (secret) MarshalText() ([]byte, error)    { return []byte("[redacted]"), nil }
func (s *secret) UnmarshalText(b []byte) error { *s = secret(strings.TrimSpace(string(b))); return nil }
func (s secret) Value() string                 { return string(s) }

// serveConfig is read from BRIDGE_* variables; any variable may instead be
// given as BRIDGE_…_FILE naming a file that holds the value (for secrets
// mounted by an orchestrator).
type serveConfig struct {
	Addr           string        `env:"BRIDGE_ADDR, default=127.0.0.1:8080"`
	PublicURL      string        `env:"BRIDGE_PUBLIC_URL"`
	DataDir        string        `env:"BRIDGE_DATA_DIR, default=./data"`
	DatabaseURL    secret        `env:"BRIDGE_DATABASE_URL"`
	Policy         []string      `env:"BRIDGE_POLICY, default=examples/policy.yaml"`
	Directory      string        `env:"BRIDGE_DIRECTORY, default=examples/people.csv"`
	GateToken      secret        `env:"BRIDGE_GATE_TOKEN"`
	AuditKey       secret        `env:"BRIDGE_AUDIT_SIGNING_KEY"`
	EvidenceKey    secret        `env:"BRIDGE_EVIDENCE_KEY"`
	Workers        int           `env:"BRIDGE_WORKERS, default=20"`
	PollEvery      time.Duration `env:"BRIDGE_POLL_INTERVAL, default=1m"`
	ReconcileEvery time.Duration `env:"BRIDGE_RECONCILE_INTERVAL, default=15m"`
	ExpireEvery    time.Duration `env:"BRIDGE_EXPIRE_INTERVAL, default=1m"`
	RemindEvery    time.Duration `env:"BRIDGE_REMIND_INTERVAL, default=5m"`
	ReloadEvery    time.Duration `env:"BRIDGE_RELOAD_INTERVAL, default=2s"`
	ShutdownGrace  time.Duration `env:"BRIDGE_SHUTDOWN_GRACE, default=20s"`
	JobTimeout     time.Duration `env:"BRIDGE_JOB_TIMEOUT, default=2m"`
	RescueAfter    time.Duration `env:"BRIDGE_RESCUE_AFTER, default=5m"` // PostgreSQL: retry jobs of a replica that died after this long
	LogLevel       string        `env:"BRIDGE_LOG_LEVEL, default=info"`
	PprofAddr      string        `env:"BRIDGE_PPROF_ADDR"` // e.g. 127.0.0.1:6060; empty = off

	Jira  jira.Config `env:", prefix=BRIDGE_JIRA_"`
	Slack slackEnv    `env:", prefix=BRIDGE_SLACK_"`
}

type slackEnv struct {
	BotToken         secret            `env:"BOT_TOKEN"`
	SigningSecret    secret            `env:"SIGNING_SECRET"`
	APIURL           string            `env:"API_URL"`
	ApproverChannels map[string]string `env:"APPROVER_CHANNELS"`
	FallbackApprover string            `env:"FALLBACK_APPROVER"`
	TicketSource     string            `env:"TICKET_SOURCE, default=jira"`
	RetryWaitMin     time.Duration     `env:"RETRY_WAIT_MIN, default=1s"`
	RetryWaitMax     time.Duration     `env:"RETRY_WAIT_MAX, default=30s"`
	RetryMax         int               `env:"RETRY_MAX, default=4"`
}

func loadServeConfig(ctx context.Context, lookup envconfig.Lookuper) (serveConfig, error) {
	var cfg serveConfig
	if err := checkFileVars(); err != nil {
		return cfg, err
	}
	err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: &cfg, Lookuper: fileLookuper{lookup}})
	return cfg, err
}

// checkFileVars fails early when a BRIDGE_*_FILE names an unreadable file,
// rather than silently starting without the secret.
func checkFileVars() error {
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "BRIDGE_") || !strings.HasSuffix(k, "_FILE") {
			continue
		}
		if _, err := os.Stat(v); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return nil
}

// fileLookuper reads KEY, or else the file named by KEY_FILE.
type fileLookuper struct{ next envconfig.Lookuper }

func (l fileLookuper) Lookup(key string) (string, bool) {
	if v, ok := l.next.Lookup(key); ok {
		return v, true
	}
	path, ok := l.next.Lookup(key + "_FILE")
	if !ok || path == "" {
		return "", false
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	return strings.TrimRight(string(b), "\r\n"), true
}
