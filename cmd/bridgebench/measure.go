package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"
)

// summarize stops the bridges (a graceful stop lets running jobs finish,
// so late duplicates would still show) and gathers every figure.
func (r *runner) summarize(tickets []*ticket, tr *tracker, snd *sender, timedOut bool, downtime time.Duration) *Summary {
	s := r.baseSummary(timedOut)
	s.Downtime = downtime.Seconds()
	for _, t := range tickets {
		if t.identity {
			s.Identity++
		}
	}
	r.fromTracker(s, tr)
	r.fromSender(s, snd)
	r.finishSummary(s)
	return s
}

// baseSummary holds the run's settings.
func (r *runner) baseSummary(timedOut bool) *Summary {
	o := r.o
	s := &Summary{
		Scenario: o.Scenario, Deployment: o.Deployment, Store: "sqlite", Replicas: o.Replicas, Tickets: o.Tickets, Updates: o.Updates,
		Mix: o.Mix, Concurrency: o.Concurrency, Throttle: o.Throttle, Faults: o.Faults, Kill: o.Kill, TimedOut: timedOut,
	}
	if o.DB != "" {
		s.Store = "postgres"
	}
	if o.Keep {
		s.TempDir = r.dir
	}
	return s
}

// finishSummary stops the bridges and adds the process, upstream and
// store figures.
func (r *runner) finishSummary(s *Summary) {
	peak, cpu := r.cl.stop()
	s.PeakRSSBytes, s.BridgeCPU = peak, cpu.Seconds()
	s.ToolCPU = (selfCPU() - r.cpu0).Seconds()
	r.fromUpstream(s)
	r.fromStore(s)
}

func (r *runner) fromTracker(s *Summary, tr *tracker) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	s.Events, s.Done = tr.total, tr.doneCount
	s.Lost = s.Events - s.Done
	if !tr.first.IsZero() && tr.last.After(tr.first) {
		s.Seconds = tr.last.Sub(tr.first).Seconds()
		s.EventsPerS = float64(s.Done) / s.Seconds
	}
	s.Evidence = latencyOf(tr.evidence)
	s.Stages = map[string]Latency{}
	for k, v := range tr.stages {
		s.Stages[k] = latencyOf(v)
	}
	if tr.viewErrs > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("%d store reads failed while observing", tr.viewErrs))
	}
}

func (r *runner) fromSender(s *Summary, snd *sender) {
	snd.mu.Lock()
	defer snd.mu.Unlock()
	s.Ack = latencyOf(snd.acks)
	s.Outcomes, s.Errors = snd.outcomes, snd.errs
}

func (r *runner) fromUpstream(s *Summary) {
	calls, status := r.up.callCounts()
	events := map[string]float64{
		classIdentity: float64(s.Identity * (s.Updates + 1)),
		classOther:    float64((s.Tickets - s.Identity) * (s.Updates + 1)),
		classNone:     float64(s.Events),
	}
	tickets := map[string]float64{classIdentity: float64(s.Identity), classOther: float64(s.Tickets - s.Identity), classNone: float64(s.Tickets)}
	s.CallsPerEvent, s.CallsPerTicket = map[string]map[string]float64{}, map[string]float64{}
	for class, eps := range calls {
		per := map[string]float64{}
		total := 0
		for ep, n := range eps {
			total += n
			if events[class] > 0 {
				per[ep] = float64(n) / events[class]
			}
		}
		s.CallsPerEvent[class] = per
		if tickets[class] > 0 {
			s.CallsPerTicket[class] = float64(total) / tickets[class]
		}
	}
	s.UpstreamStatus = map[string]int{}
	for code, n := range status {
		s.UpstreamStatus[strconv.Itoa(code)] = n
	}
	s.FakeCalls = r.up.fake.Calls()
	for _, n := range r.up.fake.DuplicateComments() {
		s.DuplicateActions += n
	}
}

func (r *runner) fromStore(s *Summary) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if rows, err := r.view.counts(ctx); err == nil {
		s.StoreRows = rows
		s.ReEvaluated = rows["evaluations"] - int64(s.Done)
	} else {
		s.Notes = append(s.Notes, "store counts: "+err.Error())
	}
	if n, err := r.view.size(ctx); err == nil {
		s.StoreBytes = n
	}
}

// startProfile fetches a CPU profile of the first bridge over the run's
// first seconds (bounded by -cpuprofile-seconds); the channel yields the
// file written, or "".
func (r *runner) startProfile(ctx context.Context) <-chan string {
	out := make(chan string, 1)
	if r.o.CPUProfile == "" || r.cl.pprof == "" {
		out <- ""
		return out
	}
	go func() {
		// Halfway through the profile, where the bridge's goroutines wait
		// (SQL pool, River, HTTP) says what the CPU profile cannot.
		time.AfterFunc(time.Duration(r.o.ProfileSeconds)*time.Second/2, func() {
			if err := saveGoroutines(ctx, r.cl.pprof, r.o.CPUProfile+".goroutines.txt"); err != nil {
				r.logf("goroutine dump: %v", err)
			}
		})
		path, err := fetchProfile(ctx, r.cl.pprof, r.o.ProfileSeconds, r.o.CPUProfile)
		if err != nil {
			r.logf("cpu profile: %v", err)
		}
		out <- path
	}()
	return out
}

func fetchProfile(ctx context.Context, addr string, seconds int, path string) (string, error) {
	u := "http://" + addr + "/debug/pprof/profile?seconds=" + strconv.Itoa(seconds)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	resp, err := (&http.Client{Timeout: time.Duration(seconds+30) * time.Second}).Do(req)
	if err != nil {
		return "", fmt.Errorf("the bridge has no pprof endpoint at BRIDGE_PPROF_ADDR (%w)", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("pprof answered %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}

func saveGoroutines(ctx context.Context, addr, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/debug/pprof/goroutine?debug=1", nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}
