package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/policy"
)

// Reloading is a directory file that is re-read when it changes on disk
// (modification time, size, or a different file renamed into place). A file
// that fails to load is logged with its positioned errors and the previous
// data stays in force. Safe for concurrent use.
type Reloading struct {
	path string
	log  *slog.Logger
	cur  atomic.Pointer[File]

	mu      sync.Mutex // serializes Refresh; guards stamp and lastErr
	stamp   os.FileInfo
	lastErr error
}

var (
	_ policy.Directory = (*Reloading)(nil)
	_ bridge.Directory = (*Reloading)(nil)
)

// Watch loads path (failing if that first load fails) and re-checks it
// every interval until ctx ends.
func Watch(ctx context.Context, path string, interval time.Duration, log *slog.Logger) (*Reloading, error) {
	if interval <= 0 {
		return nil, fmt.Errorf("directory: watch %s: interval must be positive, got %v", path, interval)
	}
	r, err := NewReloading(path, log)
	if err != nil {
		return nil, err
	}
	t := time.NewTicker(interval)
	go func() {
		defer t.Stop()
		r.run(ctx, t.C, nil)
	}()
	return r, nil
}

// NewReloading loads path without starting a watcher; call Refresh to
// re-check (for example on SIGHUP).
func NewReloading(path string, log *slog.Logger) (*Reloading, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	f, err := Load(path)
	if err != nil {
		return nil, err
	}
	r := &Reloading{path: path, log: log, stamp: fi}
	r.cur.Store(f)
	log.Info("directory loaded", "path", path, "people", f.Len())
	return r, nil
}

// run refreshes on every tick until ctx ends; checked (nil outside tests)
// hears about each finished check.
func (r *Reloading) run(ctx context.Context, ticks <-chan time.Time, checked chan<- struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
			r.Refresh()
			if checked != nil {
				checked <- struct{}{}
			}
		}
	}
}

// Refresh re-reads the file if it changed since the last attempt. A read
// that overlaps a write (the file changes while being read) is discarded
// unreported and retried on the next call.
// reloaded reports whether new data is now in force; err is the problem
// with the file on disk (also logged), while the previous data stays.
// A broken file is reported once, not on every check.
func (r *Reloading) Refresh() (reloaded bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fi, err := os.Stat(r.path)
	if err != nil {
		err = fmt.Errorf("directory: %w", err)
		r.stamp = nil // whatever appears next is read
		r.fail(err, "directory file unreadable; keeping previous data")
		return false, err
	}
	if sameStamp(r.stamp, fi) {
		return false, r.lastErr
	}
	f, err := Load(r.path)
	if after, serr := os.Stat(r.path); serr != nil || !sameStamp(fi, after) {
		return false, r.lastErr // written while read: judge it once it settles
	}
	r.stamp = fi
	if err != nil {
		r.fail(err, "directory file rejected; keeping previous data")
		return false, err
	}
	r.cur.Store(f)
	r.lastErr = nil
	r.log.Info("directory reloaded", "path", r.path, "people", f.Len())
	return true, nil
}

// fail records err and logs it unless it is the one already reported.
func (r *Reloading) fail(err error, msg string) {
	if r.lastErr != nil && r.lastErr.Error() == err.Error() {
		return
	}
	r.lastErr = err
	var list Errors
	if errors.As(err, &list) {
		msgs := make([]string, len(list))
		for i, e := range list {
			msgs[i] = e.Error()
		}
		r.log.Warn(msg, "path", r.path, "problems", len(list), "errors", msgs)
		return
	}
	r.log.Warn(msg, "path", r.path, "error", err.Error())
}

func sameStamp(a, b os.FileInfo) bool {
	return a != nil && os.SameFile(a, b) && a.ModTime().Equal(b.ModTime()) && a.Size() == b.Size()
}

// Current is the file in force.
func (r *Reloading) Current() *File { return r.cur.Load() }

// Err is the problem with the file on disk, nil when the data in force is
// what the file says. Useful for readiness and metrics.
func (r *Reloading) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastErr
}

// Person implements policy.Directory.
func (r *Reloading) Person(email string) (policy.Person, bool, error) {
	return r.Current().Person(email)
}

// Lookup implements bridge.Directory.
func (r *Reloading) Lookup(ctx context.Context, email string) (policy.Person, error) {
	return r.Current().Lookup(ctx, email)
}

// Members returns group's members from the file in force.
func (r *Reloading) Members(ctx context.Context, group string) ([]policy.Person, error) {
	return r.Current().Members(ctx, group)
}

// Reports returns managerEmail's direct reports from the file in force.
func (r *Reloading) Reports(ctx context.Context, managerEmail string) ([]policy.Person, error) {
	return r.Current().Reports(ctx, managerEmail)
}

// Owned returns the identities ownerEmail owns, from the file in force.
func (r *Reloading) Owned(ctx context.Context, ownerEmail string) ([]policy.Person, error) {
	return r.Current().Owned(ctx, ownerEmail)
}

// All returns everyone in the file in force.
func (r *Reloading) All() []policy.Person { return r.Current().All() }

// Leavers returns the leavers in the file in force.
func (r *Reloading) Leavers(now time.Time) []policy.Person { return r.Current().Leavers(now) }
