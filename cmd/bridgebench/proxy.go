package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"time"
)

// roundRobin is the load balancer in front of several replicas: each
// request goes to the next backend in turn; a dead backend answers 502
// (as a plain load balancer without health checks would).
type roundRobin struct {
	url  string
	srv  *http.Server
	next atomic.Uint64
}

func startProxy(backends []string) (*roundRobin, error) {
	targets := make([]*url.URL, len(backends))
	for i, b := range backends {
		u, err := url.Parse("http://" + b)
		if err != nil {
			return nil, err
		}
		targets[i] = u
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rr := &roundRobin{url: "http://" + ln.Addr().String()}
	tr := &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second}
	rp := &httputil.ReverseProxy{
		Transport: tr,
		Rewrite: func(pr *httputil.ProxyRequest) {
			t := targets[int(rr.next.Add(1)-1)%len(targets)]
			pr.SetURL(t)
			pr.SetXForwarded()
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) },
	}
	rr.srv = &http.Server{Handler: rp, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := rr.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(err)
		}
	}()
	return rr, nil
}

func (rr *roundRobin) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = rr.srv.Shutdown(ctx)
}
