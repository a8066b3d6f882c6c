package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/accessbridge/accessbridge/adapters/directory"
	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/audit"
	"github.com/accessbridge/accessbridge/bridge/pipeline"
	"github.com/accessbridge/accessbridge/bridge/server"
	"github.com/accessbridge/accessbridge/bridge/store"
)

func init() {
	register("serve", "run the bridge: webhooks, pollers, durable jobs, gate, evidence, metrics", runServe)
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: bridge serve   (configured by BRIDGE_* environment variables; see README)")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadServeConfig(ctx, envconfig.OsLookuper())
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	log := newLogger(stdout, cfg.LogLevel)
	return serve(ctx, cfg, log)
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// serve wires the parts, runs until ctx ends, then shuts down gracefully:
// stop accepting, let in-flight requests and jobs finish within the grace
// period, and hand back what did not finish.
func serve(ctx context.Context, cfg serveConfig, log *slog.Logger) error {
	st, err := store.Open(ctx, store.Config{DataDir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL.Value()})
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer st.Close()
	key, err := signingKey(cfg.AuditKey)
	if err != nil {
		return err
	}
	pol, err := pipeline.LoadPolicy(cfg.Policy...)
	if err != nil {
		return fmt.Errorf("policy:\n%w", err)
	}
	dir, err := directory.Watch(ctx, cfg.Directory, 10*time.Second, log)
	if err != nil {
		return fmt.Errorf("directory:\n%w", err)
	}
	w, err := wire(ctx, cfg, log, st, dir)
	if err != nil {
		return err
	}
	p, err := pipeline.New(pipeline.Config{
		Store: st, Audit: audit.New(st, key), Policy: pol, Directory: dir, Sources: w.sources,
		Notifier: w.notifier, Worker: w.worker, EvidenceURL: cfg.PublicURL, EvidenceKey: []byte(cfg.EvidenceKey.Value()),
		Log: log, Workers: cfg.Workers, PollEvery: cfg.PollEvery, ReconcileEvery: cfg.ReconcileEvery,
		ExpireEvery: cfg.ExpireEvery, RemindEvery: cfg.RemindEvery, JobTimeout: cfg.JobTimeout, RescueAfter: cfg.RescueAfter,
	})
	if err != nil {
		return err
	}
	if w.bind != nil {
		w.bind(p)
	}
	if len(w.sources) == 0 {
		log.Warn("no ticket source is configured: webhooks will be refused until BRIDGE_JIRA_URL (and its credentials) is set")
	}
	go watchPolicy(ctx, pol, cfg.ReloadEvery, log)
	if cfg.PprofAddr != "" {
		go servePprof(cfg.PprofAddr, log)
	}
	handler := server.New(server.Config{Pipeline: p, GateToken: cfg.GateToken.Value(), Log: log, Extra: w.routes})
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second, WriteTimeout: 30 * time.Second}
	if err := p.Start(ctx); err != nil {
		return err
	}
	log.Info("bridge serving", "addr", ln.Addr().String(), "store", st.Dialect(), "policy", pol.Get().Digest(),
		"mode", pol.Get().Mode(), "sources", strings.Join(keys(w.sources), ","))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		return err
	}
	log.Info("shutting down", "grace", cfg.ShutdownGrace.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	herr := srv.Shutdown(sctx)
	perr := p.Stop(sctx)
	return errors.Join(herr, perr)
}

// servePprof exposes Go's profiler on a separate, operator-chosen address
// (keep it on loopback): profiles show internals and must not be public.
func servePprof(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Info("pprof listening", "addr", addr)
	if err := http.ListenAndServe(addr, mux); err != nil {
		log.Error("pprof", "err", err)
	}
}

func signingKey(s secret) ([]byte, error) {
	if s.Value() == "" {
		return nil, nil
	}
	k, err := audit.ParseSigningKey(s.Value())
	if err != nil {
		return nil, fmt.Errorf("BRIDGE_AUDIT_SIGNING_KEY: %w", err)
	}
	return k, nil
}

// watchPolicy reloads the policy when its files change; a broken file is
// reported with its positions and the running policy stays in force.
func watchPolicy(ctx context.Context, h *pipeline.PolicyHolder, every time.Duration, log *slog.Logger) {
	if every <= 0 {
		return
	}
	last := stamp(h.Paths())
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := stamp(h.Paths())
		if now == last {
			continue
		}
		last = now
		changed, err := h.Reload()
		if err != nil {
			log.Error("policy reload failed; the running policy stays in force", "errors", err.Error(), "running", h.Get().Digest())
			continue
		}
		if changed {
			log.Info("policy reloaded", "digest", h.Get().Digest(), "mode", h.Get().Mode())
		}
	}
}

func stamp(paths []string) string {
	var b strings.Builder
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			fmt.Fprintf(&b, "%s:%d:%d;", p, fi.Size(), fi.ModTime().UnixNano())
		}
	}
	return b.String()
}

func keys(m map[string]bridge.Source) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
