//go:build tools

// Package deps pins the project's dependencies while the packages that use
// them are being written, so go.mod stays complete and tidy.
package deps

import (
	_ "github.com/andygrunwald/go-jira"
	_ "github.com/google/cel-go/cel"
	_ "github.com/google/go-github/v60/github"
	_ "github.com/hashicorp/go-retryablehttp"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/riverqueue/river"
	_ "github.com/riverqueue/river/riverdriver/riverdatabasesql"
	_ "github.com/riverqueue/river/riverdriver/riverpgxv5"
	_ "github.com/riverqueue/river/riverdriver/riversqlite"
	_ "github.com/riverqueue/river/rivermigrate"
	_ "github.com/sethvargo/go-envconfig"
	_ "github.com/slack-go/slack"
	_ "gopkg.in/yaml.v3"
	_ "modernc.org/sqlite"
)
