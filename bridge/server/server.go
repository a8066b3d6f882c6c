// Package server is the bridge's HTTP surface: webhooks, the gate, the
// evidence page, health and metrics. Handlers stay thin; the pipeline
// does the work.
package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/pipeline"
)

// MaxBody caps every request body: upstream payloads are small; anything
// larger is refused before it is read.
const MaxBody = 1 << 20

// Config of the HTTP surface.
type Config struct {
	Pipeline  *pipeline.Pipeline
	GateToken string // bearer token for /v1/gate and the evidence API; empty disables them
	Log       *slog.Logger
	Extra     map[string]http.Handler // more routes, e.g. the Slack endpoints
	Ready     func(ctx context.Context) error
}

// New returns the bridge's handler.
func New(cfg Config) http.Handler {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s := &server{cfg: cfg, p: cfg.Pipeline}
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	reg.MustRegister(cfg.Pipeline.Metrics().Collectors()...)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhooks/{source}", s.webhook)
	mux.HandleFunc("POST /v1/gate", s.gate)
	mux.HandleFunc("GET /v1/tickets/{source}/{key}", s.evidence)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", s.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	for pattern, h := range cfg.Extra {
		mux.Handle(pattern, h)
	}
	return mux
}

type server struct {
	cfg Config
	p   *pipeline.Pipeline
}

func (s *server) webhook(w http.ResponseWriter, r *http.Request) {
	source := r.PathValue("source")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			out := s.p.Reject(r.Context(), source, http.StatusRequestEntityTooLarge, "body larger than 1 MiB", body, r.RemoteAddr)
			writeJSON(w, out.Status, out)
			return
		}
		writeJSON(w, http.StatusBadRequest, map[string]string{"result": "rejected", "reason": "body could not be read"})
		return
	}
	out := s.p.Ingest(r.Context(), source, r, body)
	writeJSON(w, out.Status, out)
}

type gateRequest struct {
	Source   string `json:"source"`
	Key      string `json:"key"`
	ToStatus string `json:"to_status"`
}

func (s *server) gate(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "missing or bad bearer token"})
		return
	}
	var req gateRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.Source == "" || req.Key == "" || req.ToStatus == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `want {"source":"jira","key":"ACC-1","to_status":"Approved"}`})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	ans, err := s.p.Gate(ctx, bridge.Ref{Source: req.Source, Key: req.Key}, req.ToStatus)
	if err != nil {
		s.cfg.Log.Warn("gate failed closed", "ticket", req.Source+":"+req.Key, "err", err)
	}
	writeJSON(w, http.StatusOK, ans) // deny is an answer, not an HTTP error
}

func (s *server) authorized(r *http.Request) bool {
	if s.cfg.GateToken == "" {
		return false
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.GateToken)) == 1
}

func (s *server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.p.Store().Ping(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"ready": "false", "reason": "store unreachable"})
		return
	}
	if s.p.Policy() == nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"ready": "false", "reason": "no policy loaded"})
		return
	}
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(ctx); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"ready": "false", "reason": err.Error()})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"ready": "true", "policy": s.p.Policy().Digest()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
