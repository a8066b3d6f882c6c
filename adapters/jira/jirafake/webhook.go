package jirafake

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Delivery is one webhook delivery and how it ended.
type Delivery struct {
	ID       string // X-Atlassian-Webhook-Identifier
	Event    string // webhookEvent
	Issue    string
	Body     []byte
	Attempts int
	Status   int // last HTTP status, 0 on a transport error
}

type webhooks struct {
	mu       sync.Mutex
	url      string
	secret   string
	retries  int
	backoff  time.Duration
	queue    []*Delivery
	done     []*Delivery
	pending  sync.WaitGroup
	wake     chan struct{}
	stop     chan struct{}
	stopOnce sync.Once
	client   *http.Client
	seq      int
}

func newWebhooks() *webhooks {
	h := &webhooks{wake: make(chan struct{}, 1), stop: make(chan struct{}), client: &http.Client{Timeout: 10 * time.Second}}
	go h.run()
	return h
}

// SetWebhook makes the fake POST a Jira webhook for every change to url,
// signed with X-Hub-Signature when secret is not empty. "" turns it off.
func (f *Fake) SetWebhook(url, secret string) {
	f.hooks.mu.Lock()
	f.hooks.url, f.hooks.secret = url, secret
	f.hooks.mu.Unlock()
}

// SetWebhookRetries makes the fake redeliver up to n times (same
// identifier, X-Atlassian-Webhook-Retry set) when the receiver answers
// 408, 409, 425, 429 or 5xx or cannot be reached. Default 0.
func (f *Fake) SetWebhookRetries(n int, backoff time.Duration) {
	f.hooks.mu.Lock()
	f.hooks.retries, f.hooks.backoff = n, backoff
	f.hooks.mu.Unlock()
}

// WaitWebhooks blocks until every queued delivery has ended.
func (f *Fake) WaitWebhooks() { f.hooks.pending.Wait() }

// Deliveries lists finished deliveries in order.
func (f *Fake) Deliveries() []Delivery {
	f.hooks.mu.Lock()
	defer f.hooks.mu.Unlock()
	out := make([]Delivery, len(f.hooks.done))
	for i, d := range f.hooks.done {
		out[i] = *d
	}
	return out
}

// emit queues a webhook for a change. Caller holds f.mu.
func (f *Fake) emit(event, typ string, is *issue, by *User, items []changeItem, c *comment) {
	h := f.hooks
	if h == nil {
		return
	}
	h.mu.Lock()
	on := h.url != ""
	h.mu.Unlock()
	if !on {
		return
	}
	p := map[string]any{
		"timestamp": f.lastTime.UnixMilli(), "webhookEvent": event, "issue_event_type_name": typ,
		"user":  f.userJSON(by),
		"issue": f.issueJSON(is, renderOpts{fields: parseFields([]string{"*navigable"}, "")}),
	}
	if items != nil {
		js := make([]map[string]any, len(items))
		for i, it := range items {
			js[i] = changeItemJSON(it)
		}
		p["changelog"] = map[string]any{"id": f.newID(), "items": js}
	}
	if c != nil {
		p["comment"] = f.commentJSON(is, c, false)
	}
	body, _ := json.Marshal(p)
	h.enqueue(&Delivery{Event: event, Issue: is.key, Body: body})
}

func (h *webhooks) enqueue(d *Delivery) {
	h.mu.Lock()
	h.seq++
	d.ID = "wh-" + strconv.Itoa(h.seq) + "-" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	h.queue = append(h.queue, d)
	h.pending.Add(1)
	h.mu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

func (h *webhooks) run() {
	for {
		select {
		case <-h.stop:
			return
		case <-h.wake:
		}
		for {
			h.mu.Lock()
			if len(h.queue) == 0 {
				h.mu.Unlock()
				break
			}
			d := h.queue[0]
			h.queue = h.queue[1:]
			h.mu.Unlock()
			h.deliver(d)
			h.mu.Lock()
			h.done = append(h.done, d)
			h.mu.Unlock()
			h.pending.Done()
		}
	}
}

func (h *webhooks) deliver(d *Delivery) {
	h.mu.Lock()
	url, secret, retries, backoff := h.url, h.secret, h.retries, h.backoff
	h.mu.Unlock()
	for attempt := 0; attempt <= retries; attempt++ {
		if attempt > 0 && backoff > 0 {
			time.Sleep(backoff)
		}
		d.Attempts++
		d.Status = h.post(url, secret, d, attempt)
		if !redeliver(d.Status) {
			return
		}
	}
}

func redeliver(status int) bool {
	switch {
	case status == 0, status == 408, status == 409, status == 425, status == 429, status >= 500:
		return true
	}
	return false
}

func (h *webhooks) post(url, secret string, d *Delivery, attempt int) int {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(d.Body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Atlassian Webhook HTTP Client")
	req.Header.Set("X-Atlassian-Webhook-Identifier", d.ID)
	req.Header.Set("X-Atlassian-Webhook-Flow", "Primary")
	if attempt > 0 {
		req.Header.Set("X-Atlassian-Webhook-Retry", strconv.Itoa(attempt))
	}
	if secret != "" {
		req.Header.Set("X-Hub-Signature", Sign(secret, d.Body))
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (h *webhooks) close() { h.stopOnce.Do(func() { close(h.stop) }) }

// Sign returns the X-Hub-Signature value for body: "sha256=" + lowercase
// hex HMAC-SHA256 keyed with secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}
