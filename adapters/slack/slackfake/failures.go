package slackfake

import (
	"net/http"
	"strconv"
)

// failure is one injected error answer.
type failure struct {
	method     string // "" = any method
	status     int
	retryAfter int
	afterApply bool // apply the write first, then fail (what makes retried POSTs duplicate)
	left       int
}

// FailNext makes the next n calls to method ("" = any) answer with status
// before doing anything. A 429 carries Retry-After: retryAfter seconds.
func (s *Server) FailNext(method string, status, n, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails = append(s.fails, failure{method: method, status: status, left: n, retryAfter: retryAfter})
}

// FailAfterApply makes the next n calls to method apply their effect and
// then answer with status (e.g. 500), as a server that fails mid-request.
func (s *Server) FailAfterApply(method string, status, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails = append(s.fails, failure{method: method, status: status, left: n, afterApply: true})
}

// Throttle answers a deterministic share (0..1) of all Web API calls with
// 429 and Retry-After: retryAfter. Throttle(0, 0) turns it off.
func (s *Server) Throttle(share float64, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle = throttle{share: share, retryAfter: retryAfter}
}

// takeFailure consumes a matching injected failure; callers hold mu.
func (s *Server) takeFailure(method string, afterApply bool) (failure, bool) {
	for i := range s.fails {
		f := &s.fails[i]
		if f.left > 0 && f.afterApply == afterApply && (f.method == "" || f.method == method) {
			f.left--
			return *f, true
		}
	}
	return failure{}, false
}

func writeFailure(w http.ResponseWriter, f failure) {
	if f.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
		writeJSON(w, f.status, map[string]any{"ok": false, "error": "ratelimited"})
		return
	}
	// Slack sends HTML with 5xx; clients must not parse it.
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(f.status)
	_, _ = w.Write([]byte("<html><body>upstream error</body></html>"))
}

// throttle spreads 429s evenly: call n is throttled when the running total
// share*n crosses an integer, so a share of 0.25 throttles every 4th call.
type throttle struct {
	share      float64
	retryAfter int
	n          int
}

func (t *throttle) take() (int, bool) {
	if t.share <= 0 {
		return 0, false
	}
	before := int(t.share * float64(t.n))
	t.n++
	after := int(t.share * float64(t.n))
	return t.retryAfter, after > before
}
