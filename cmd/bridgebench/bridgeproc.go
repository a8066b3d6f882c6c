package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// bridgeProc is one `bridge serve` child process.
type bridgeProc struct {
	bin     string
	env     []string
	addr    string
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{}
	stats   []procStats // of every incarnation that has ended
}

// procStats are what /proc tells about a process just before it ends.
type procStats struct {
	PeakRSS int64         // VmHWM, bytes
	CPU     time.Duration // user + system
}

// buildBridge compiles ./cmd/bridge of the enclosing module into dir.
func buildBridge(ctx context.Context, dir string) (string, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "bridge")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/bridge")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/bridge: %w\n%s", err, out)
	}
	return bin, nil
}

func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run bridgebench inside the accessbridge module")
	}
	return filepath.Dir(mod), nil
}

// freeAddr picks a free loopback port. The tiny window before the bridge
// binds it is acceptable for a test tool on loopback.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// bridgeEnv is the caller's environment without BRIDGE_* (so a developer's
// settings cannot leak into the run) plus vars.
func bridgeEnv(vars map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BRIDGE_") {
			env = append(env, kv)
		}
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

func (b *bridgeProc) start() error {
	f, err := os.OpenFile(b.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(b.bin, "serve")
	cmd.Env = b.env
	cmd.Stdout, cmd.Stderr = f, f
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start bridge: %w", err)
	}
	b.cmd, b.exited = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); f.Close(); close(b.exited) }()
	return nil
}

// waitReady polls /readyz until it answers 200, the process exits or the
// deadline passes.
func (b *bridgeProc) waitReady(ctx context.Context, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	c := &http.Client{Timeout: time.Second}
	for {
		resp, err := c.Get("http://" + b.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-b.exited:
			return fmt.Errorf("bridge exited before it was ready:\n%s", b.logTail(2000))
		case <-ctx.Done():
			return fmt.Errorf("bridge not ready within %s:\n%s", within, b.logTail(2000))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (b *bridgeProc) running() bool {
	if b.cmd == nil {
		return false
	}
	select {
	case <-b.exited:
		return false
	default:
		return true
	}
}

// kill ends the process with SIGKILL, as a crash would.
func (b *bridgeProc) kill() {
	if !b.running() {
		return
	}
	b.record()
	_ = b.cmd.Process.Signal(syscall.SIGKILL)
	<-b.exited
}

// stop asks for a graceful shutdown and kills the process if it takes
// longer than grace.
func (b *bridgeProc) stop(grace time.Duration) {
	if !b.running() {
		return
	}
	b.record()
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.exited:
	case <-time.After(grace):
		_ = b.cmd.Process.Signal(syscall.SIGKILL)
		<-b.exited
	}
}

func (b *bridgeProc) record() {
	if s, err := readProcStats(b.cmd.Process.Pid); err == nil {
		b.stats = append(b.stats, s)
	}
}

// current reads the live process's figures (zero when not running).
func (b *bridgeProc) current() procStats {
	if !b.running() {
		return procStats{}
	}
	s, _ := readProcStats(b.cmd.Process.Pid)
	return s
}

func (b *bridgeProc) logTail(n int) string {
	data, err := os.ReadFile(b.logPath)
	if err != nil {
		return ""
	}
	if len(data) > n {
		data = data[len(data)-n:]
	}
	return string(bytes.TrimSpace(data))
}
