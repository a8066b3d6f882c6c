package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/accessbridge/accessbridge/adapters/jira/jirafake"
)

// sender acts as the people and as Jira: it creates or edits an issue in
// the fake, then posts the signed webhook Jira would send, timing the
// acknowledgement.
type sender struct {
	up      *upstream
	tr      *tracker
	url     string // the bridge's /webhooks/jira (or the proxy's)
	secret  string
	client  *http.Client
	workers int

	mu       sync.Mutex
	acks     []time.Duration
	outcomes map[string]int
	errs     map[string]int
}

func newSender(up *upstream, tr *tracker, url, secret string, workers int) *sender {
	tr2 := &http.Transport{MaxIdleConns: workers * 2, MaxIdleConnsPerHost: workers * 2, IdleConnTimeout: 30 * time.Second}
	return &sender{up: up, tr: tr, url: url, secret: secret, workers: workers,
		client:   &http.Client{Transport: tr2, Timeout: 30 * time.Second},
		outcomes: map[string]int{}, errs: map[string]int{}}
}

// run starts the workers; they take edits first (their tickets are
// waiting), then new tickets, until ctx ends.
func (s *sender) run(ctx context.Context, creates <-chan *ticket) *sync.WaitGroup {
	var wg sync.WaitGroup
	for range s.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.work(ctx, creates)
		}()
	}
	return &wg
}

func (s *sender) work(ctx context.Context, creates <-chan *ticket) {
	for {
		var t *ticket
		select {
		case <-ctx.Done():
			return
		case t = <-s.tr.followups:
		default:
			select {
			case <-ctx.Done():
				return
			case t = <-s.tr.followups:
			case c, ok := <-creates:
				if !ok {
					creates = nil
					continue
				}
				t = c
			}
		}
		if err := s.send(ctx, t); err != nil {
			s.count(s.errs, err.Error())
		}
	}
}

func (s *sender) send(ctx context.Context, t *ticket) error {
	user := t.requester()
	prev := ""
	if t.gen == 0 {
		key, err := s.up.fake.CreateIssue(user.Name, t.fields())
		if err != nil {
			return fmt.Errorf("create issue: %w", err)
		}
		t.key = key
		s.up.track(key, t.identity)
	} else {
		before := *t
		before.gen--
		prev = before.summary()
		if err := s.up.fake.EditIssue(user.Name, t.key, t.fields()); err != nil {
			return fmt.Errorf("edit issue: %w", err)
		}
	}
	is, ok := s.up.fake.Issue(t.key)
	if !ok {
		return fmt.Errorf("issue %s vanished", t.key)
	}
	body := webhookBody(is, user, t.gen == 0, prev, s.up.fake.IsCloud())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Atlassian Webhook HTTP Client")
	req.Header.Set("X-Atlassian-Webhook-Identifier", "bench-"+strconv.Itoa(t.idx)+"-"+strconv.Itoa(t.gen))
	req.Header.Set("X-Atlassian-Webhook-Flow", "Primary")
	req.Header.Set("X-Hub-Signature", jirafake.Sign(s.secret, body))
	start := time.Now()
	s.up.begin(t.key, start)
	s.tr.sent(t, start)
	resp, err := s.client.Do(req)
	lat := time.Since(start)
	if err != nil {
		s.count(s.outcomes, "transport_error")
		return nil // a missed webhook: polling must catch the change up
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	s.mu.Lock()
	s.acks = append(s.acks, lat)
	s.outcomes[strconv.Itoa(resp.StatusCode)]++
	s.mu.Unlock()
	return nil
}

func (s *sender) count(m map[string]int, k string) {
	s.mu.Lock()
	m[k]++
	s.mu.Unlock()
}

// feed queues the workload's tickets for creation, then closes creates.
func feed(ctx context.Context, tickets []*ticket, creates chan<- *ticket) {
	defer close(creates)
	for _, t := range tickets {
		select {
		case <-ctx.Done():
			return
		case creates <- t:
		}
	}
}
