package main

import (
	"context"
	"log/slog"

	"github.com/accessbridge/accessbridge/adapters/directory"
	"github.com/accessbridge/accessbridge/bridge/store"
)

// wireSlack adds the Slack app when a signing secret is configured.
func wireSlack(ctx context.Context, cfg serveConfig, log *slog.Logger, st *store.Store, dir *directory.Reloading, w *wiring) error {
	return nil
}
