package jirafake

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// When a 5xx fault strikes relative to the write it interrupts.
type When int

const (
	Before When = iota // fail without applying the request
	After              // apply the write, then answer 5xx (the client cannot know it worked)
)

type faultState struct {
	rng           *rand.Rand
	throttleShare float64
	retryAfter    time.Duration
	faultShare    float64
	faultWhen     When
	next          []fault
}

type fault struct {
	status     int
	after      bool
	retryAfter string
	rateLimit  bool
}

func (fl fault) write(w http.ResponseWriter) {
	if fl.retryAfter != "" {
		w.Header().Set("Retry-After", fl.retryAfter)
	}
	if fl.rateLimit {
		w.Header().Set("X-RateLimit-Limit", "100")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", time.Now().UTC().Add(time.Minute).Format("2006-01-02T15:04Z"))
		w.Header().Set("RateLimit-Reason", "jira-burst-based")
		writeErr(w, fl.status, []string{"Rate limit exceeded."}, nil)
		return
	}
	writeErr(w, fl.status, []string{"Internal server error"}, nil)
}

// Throttle answers share of all requests with 429, Retry-After (whole
// seconds, rounded up) and X-RateLimit-* headers. Throttle(0, 0) stops it.
func (f *Fake) Throttle(share float64, retryAfter time.Duration) {
	f.mu.Lock()
	f.faults.throttleShare, f.faults.retryAfter = share, retryAfter
	f.mu.Unlock()
}

// Faults answers share of requests with 500, either before applying them
// or, for writes, after applying them. Faults(0, Before) stops it.
func (f *Fake) Faults(share float64, when When) {
	f.mu.Lock()
	f.faults.faultShare, f.faults.faultWhen = share, when
	f.mu.Unlock()
}

// FailNext makes the next n requests fail with status. With after, the
// next n writes (POST/PUT/DELETE) are applied first and then answered
// with status; reads pass. 429 and 503 carry "Retry-After: 0".
func (f *Fake) FailNext(n int, status int, after bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		fl := fault{status: status, after: after}
		if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
			fl.retryAfter = "0"
			fl.rateLimit = status == http.StatusTooManyRequests
		}
		f.faults.next = append(f.faults.next, fl)
	}
}

func (f *Fake) decideFault(write bool) fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	fs := &f.faults
	for i, fl := range fs.next {
		if fl.after && !write {
			continue // an "after" fault waits for a write to interrupt
		}
		fs.next = append(fs.next[:i:i], fs.next[i+1:]...)
		return fl
	}
	if fs.throttleShare > 0 && fs.rng.Float64() < fs.throttleShare {
		secs := int((fs.retryAfter + time.Second - 1) / time.Second)
		return fault{status: http.StatusTooManyRequests, retryAfter: strconv.Itoa(secs), rateLimit: true}
	}
	if fs.faultShare > 0 && fs.rng.Float64() < fs.faultShare {
		return fault{status: http.StatusInternalServerError, after: fs.faultWhen == After && write}
	}
	return fault{}
}
