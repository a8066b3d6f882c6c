package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/accessbridge/accessbridge/adapters/directory"
	"github.com/accessbridge/accessbridge/adapters/jira"
	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/pipeline"
	"github.com/accessbridge/accessbridge/bridge/store"
)

// wiring is what the configured adapters add to the pipeline and server.
type wiring struct {
	sources  map[string]bridge.Source
	notifier pipeline.Notifier
	worker   pipeline.Worker
	routes   map[string]http.Handler
	bind     func(p *pipeline.Pipeline) // late binding for adapters that call back into the pipeline
}

// wire builds the adapters the environment configures. Sources without
// configuration are simply absent; their webhooks answer 404.
func wire(ctx context.Context, cfg serveConfig, log *slog.Logger, st *store.Store, dir *directory.Reloading) (*wiring, error) {
	w := &wiring{sources: map[string]bridge.Source{}, routes: map[string]http.Handler{}}
	if cfg.Jira.URL != "" {
		jcfg := cfg.Jira
		jcfg.SharedStore = st.Dialect() == store.Postgres // replicas may post on the same issues
		src, err := jira.New(jcfg, log.With("source", "jira"))
		if err != nil {
			return nil, fmt.Errorf("jira: %w", err)
		}
		w.sources[src.Name()] = src
	}
	if err := wireSlack(ctx, cfg, log, st, dir, w); err != nil {
		return nil, err
	}
	return w, nil
}
