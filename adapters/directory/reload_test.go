package directory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer collects log output written from the watcher goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// records returns the logged JSON records with the given message.
func (l *lockedBuffer) records(t *testing.T, msg string) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

const v1 = "email,active,employment_type\nalice@example.com,true,employee\n"

// writeFile writes text to path with modification time at, so each
// version differs from the last however coarse the file system clock is.
func writeFile(t *testing.T, path, text string, at time.Time) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, at, at); err != nil {
		t.Fatal(err)
	}
}

func TestReloadingFollowsTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "people.csv")
	base := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	writeFile(t, path, v1, base)
	logs := &lockedBuffer{}
	r, err := NewReloading(path, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ticks, checked := make(chan time.Time), make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.run(ctx, ticks, checked); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	tick := func() { ticks <- base; <-checked } // returns once the check is done

	has := func(email string) bool { _, ok, _ := r.Person(email); return ok }

	writeFile(t, path, v1+"bob@example.com,true,employee\n", base.Add(time.Minute))
	tick()
	if !has("bob@example.com") || r.Err() != nil {
		t.Fatalf("after a good change: bob present = %v, Err = %v", has("bob@example.com"), r.Err())
	}

	writeFile(t, path, v1+"carol@example.com,true,employee,extra\nbob@example.com,sometimes,employee\n", base.Add(2*time.Minute))
	tick()
	tick() // unchanged broken file: not logged again
	if !has("bob@example.com") || has("carol@example.com") {
		t.Errorf("a broken file replaced the data in force")
	}
	var list Errors
	if !errors.As(r.Err(), &list) || len(list) != 2 {
		t.Fatalf("Err = %v, want the file's two problems", r.Err())
	}
	warns := logs.records(t, "directory file rejected; keeping previous data")
	if len(warns) != 1 {
		t.Fatalf("%d rejection logs, want 1: %v", len(warns), warns)
	}
	want := []any{path + ":3: 4 fields, header has 3", path + `:4: active "sometimes": want true or false`}
	if got, _ := warns[0]["errors"].([]any); !slices.Equal(got, want) || warns[0]["problems"] != 2.0 {
		t.Errorf("logged %v, want errors %q", warns[0], want)
	}

	writeFile(t, path, v1+"carol@example.com,true,employee\n", base.Add(3*time.Minute))
	tick()
	if !has("carol@example.com") || has("bob@example.com") || r.Err() != nil {
		t.Errorf("after the fix: carol %v, bob %v, Err %v", has("carol@example.com"), has("bob@example.com"), r.Err())
	}
}

func TestRefreshNoticesReplacedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "people.csv")
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	writeFile(t, path, v1, at)
	r, err := NewReloading(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if reloaded, err := r.Refresh(); reloaded || err != nil {
		t.Fatalf("unchanged file: Refresh = %v, %v", reloaded, err)
	}
	// Same size and time, different file renamed into place (how config
	// management replaces files).
	next := filepath.Join(dir, "next.csv")
	writeFile(t, next, strings.Replace(v1, "alice", "alicf", 1), at)
	if err := os.Rename(next, path); err != nil {
		t.Fatal(err)
	}
	if reloaded, err := r.Refresh(); !reloaded || err != nil {
		t.Fatalf("replaced file: Refresh = %v, %v", reloaded, err)
	}
	if _, ok, _ := r.Person("alicf@example.com"); !ok {
		t.Error("new file's data not in force")
	}
}

func TestRefreshKeepsDataWhenFileVanishes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "people.csv")
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	writeFile(t, path, v1, at)
	r, err := NewReloading(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Refresh(); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Refresh after remove = %v", err)
	}
	if _, ok, _ := r.Person("alice@example.com"); !ok {
		t.Error("data dropped when the file vanished")
	}
	writeFile(t, path, v1, at) // back, identical: still read, since it was gone
	if reloaded, err := r.Refresh(); !reloaded || err != nil || r.Err() != nil {
		t.Errorf("file back: Refresh = %v, %v; Err = %v", reloaded, err, r.Err())
	}
}

func TestWatch(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "people.csv")
	writeFile(t, good, v1, time.Now())
	bad := filepath.Join(dir, "bad.csv")
	writeFile(t, bad, "email\n", time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	r, err := Watch(ctx, good, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := r.Lookup(ctx, "ALICE@example.com"); err != nil || p.Email != "alice@example.com" {
		t.Errorf("Lookup = %+v, %v", p, err)
	}
	if _, err := Watch(ctx, bad, time.Hour, nil); err == nil || !strings.Contains(err.Error(), `bad.csv:1: missing column "active"`) {
		t.Errorf("Watch(bad) = %v, want the file's problems", err)
	}
	if _, err := Watch(ctx, good, 0, nil); err == nil {
		t.Error("Watch with interval 0 succeeded")
	}
	if _, err := Watch(ctx, filepath.Join(dir, "missing.csv"), time.Hour, nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Watch(missing) = %v", err)
	}
}
