package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/accessbridge/accessbridge/adapters/slack/slackfake"
)

// The Slack workload runs in two phases so each click's Slack calls can be
// counted without the requests' traffic mixed in:
//
//  1. requests: N signed `/access request …` commands from eligible
//     requesters, Concurrency in flight; each is followed until its ticket
//     is pending in the store and its approver has an Approve button;
//  2. clicks: once every request got there and the bridge is idle, the
//     manager's Approve click for each, Concurrency in flight; each is
//     followed until the allowed evidence is on the Jira ticket and the
//     requester was told.
//
// Calls per request and per click are the fakes' counter deltas over each
// phase (from its start until the bridge is idle again) divided by the
// number of requests or clicks.

// slackAsks are requests the example catalog grants with the manager's
// approval alone (standard access_grant).
var slackAsks = []string{
	"request datadog viewer for 30d because on-call dashboards",
	"request vpn user for 30d because remote work this quarter",
	"request github-org member for 30d because the platform project",
}

// slackRequest is one request of the workload and what the tool saw of it.
type slackRequest struct {
	idx                 int
	requester, approver dirPerson
	text, ru            string

	sent     time.Time
	key      string
	ready    bool // pending in the store and the approver messaged
	pending  time.Time
	messaged time.Time
	failed   string

	click   time.Time
	allowed time.Time
	told    time.Time
}

func (q *slackRequest) done() bool {
	return q.failed != "" || (!q.allowed.IsZero() && !q.told.IsZero())
}

// slackLoad drives the workload and gathers its figures.
type slackLoad struct {
	r      *runner
	client *http.Client
	reqs   []*slackRequest

	mu        sync.Mutex
	cmdAcks   []time.Duration
	clickAcks []time.Duration
	outcomes  map[string]int
	errs      map[string]int
}

var keyRe = regexp.MustCompile(`\b[A-Z][A-Z0-9]+-[0-9]+\b`)

func (r *runner) newSlackLoad() (*slackLoad, error) {
	who := r.sl.slackRequesters()
	if len(who) == 0 {
		return nil, fmt.Errorf("the directory has no active employee with an active manager to request access")
	}
	l := &slackLoad{r: r, outcomes: map[string]int{}, errs: map[string]int{},
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			MaxIdleConns: r.o.Concurrency * 2, MaxIdleConnsPerHost: r.o.Concurrency * 2, IdleConnTimeout: 30 * time.Second}}}
	for i := range r.o.Tickets {
		p := who[i%len(who)]
		l.reqs = append(l.reqs, &slackRequest{idx: i, requester: p, approver: r.sl.byMail[p.Manager],
			text: slackAsks[(i/len(who))%len(slackAsks)]})
	}
	return l, nil
}

// executeSlack runs both phases and measures.
func (r *runner) executeSlack(ctx context.Context) (*Summary, error) {
	l, err := r.newSlackLoad()
	if err != nil {
		return nil, err
	}
	wctx, stopWork := context.WithCancel(ctx)
	defer stopWork()
	profile := r.startProfile(ctx)
	r.cpu0 = selfCPU()
	ph := slackPhases{slack0: r.sl.calls(), jira0: r.up.flatCalls()}
	r.logf("slack: %d /access requests, %d in flight", len(l.reqs), r.o.Concurrency)
	l.each(wctx, l.reqs, l.command)
	timedOut := !l.follow(wctx, l.checkRequests)
	r.idle(wctx)
	ph.slack1, ph.jira1 = r.sl.calls(), r.up.flatCalls()
	var ready []*slackRequest
	for _, q := range l.reqs {
		if q.ready {
			ready = append(ready, q)
		}
	}
	ph.clicks = len(ready)
	if !timedOut && len(ready) > 0 {
		r.logf("slack: %d requests pending with their approver messaged; clicking Approve", len(ready))
		l.each(wctx, ready, l.click)
		timedOut = !l.follow(wctx, l.checkClicks)
		r.idle(wctx)
	}
	ph.slack2, ph.jira2 = r.sl.calls(), r.up.flatCalls()
	stopWork()
	prof := <-profile
	sum := r.summarizeSlack(l, ph, timedOut)
	sum.CPUProfile = prof
	return sum, nil
}

// each runs fn over qs with Concurrency workers.
func (l *slackLoad) each(ctx context.Context, qs []*slackRequest, fn func(context.Context, *slackRequest)) {
	work := make(chan *slackRequest)
	var wg sync.WaitGroup
	for range min(l.r.o.Concurrency, len(qs)) {
		wg.Go(func() {
			for q := range work {
				fn(ctx, q)
			}
		})
	}
	for _, q := range qs {
		select {
		case work <- q:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
}

// command sends one signed slash command as Slack does and times the ack.
func (l *slackLoad) command(ctx context.Context, q *slackRequest) {
	sl := l.r.sl
	q.ru = sl.fake.ResponseURL()
	form := url.Values{"command": {"/access"}, "text": {q.text}, "user_id": {q.requester.SlackID},
		"user_name": {strings.Split(q.requester.Email, "@")[0]}, "team_id": {"T0BENCH"}, "channel_id": {"C0ACCESS"},
		"response_url": {q.ru}, "trigger_id": {"bench." + strconv.Itoa(q.idx)}}
	req := slackfake.SignedCommand(l.r.cl.url+"/slack/commands", sl.secret, form, time.Now())
	q.sent = time.Now()
	lat, status, err := l.post(ctx, req)
	l.record(&l.cmdAcks, "command", lat, status, err)
}

// click sends the approver's Approve button press for q's ticket.
func (l *slackLoad) click(ctx context.Context, q *slackRequest) {
	value := "jira:" + q.key
	payload := map[string]any{
		"type": "block_actions", "trigger_id": "bench.click." + strconv.Itoa(q.idx), "response_url": l.r.sl.fake.ResponseURL(),
		"user": map[string]any{"id": q.approver.SlackID}, "team": map[string]any{"id": "T0BENCH"},
		"container": map[string]any{"type": "message", "message_ts": "1.1", "channel_id": "D0BENCH"},
		"actions": []map[string]any{{"type": "button", "action_id": "approve", "block_id": "decide|" + value,
			"value": value, "action_ts": strconv.FormatInt(time.Now().UnixMicro(), 10)}},
	}
	req := slackfake.SignedInteraction(l.r.cl.url+"/slack/interactions", l.r.sl.secret, payload, time.Now())
	q.click = time.Now()
	l.r.up.begin(q.key, q.click) // the evidence writes to follow are this click's
	lat, status, err := l.post(ctx, req)
	l.record(&l.clickAcks, "click", lat, status, err)
}

func (l *slackLoad) post(ctx context.Context, req *http.Request) (time.Duration, int, error) {
	start := time.Now()
	resp, err := l.client.Do(req.WithContext(ctx))
	if err != nil {
		return 0, 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return time.Since(start), resp.StatusCode, nil
}

func (l *slackLoad) record(acks *[]time.Duration, what string, lat time.Duration, status int, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.errs[what+": "+err.Error()]++
		return
	}
	*acks = append(*acks, lat)
	l.outcomes[what+" "+strconv.Itoa(status)]++
}

// follow calls check every 25ms until it reports everything done (true)
// or ctx ends (false).
func (l *slackLoad) follow(ctx context.Context, check func(context.Context) bool) bool {
	t := time.NewTicker(25 * time.Millisecond)
	defer t.Stop()
	for {
		if check(ctx) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
}
