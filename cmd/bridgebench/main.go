// Command bridgebench is an end-to-end load and fault tool for accessbridge.
// It runs the Jira fake on loopback (as Jira Cloud or Data Center), builds
// and starts `bridge serve` as a separate process (SQLite, or PostgreSQL
// with several replicas behind a round-robin proxy), sends signed webhooks
// for a bounded workload, waits until every event's evidence is applied and
// prints one summary. -scenario slack also runs the Slack fake and sends
// signed /access commands, then the approvers' Approve clicks.
//
//	go run ./cmd/bridgebench -tickets 10000 -concurrency 32
//	go run ./cmd/bridgebench -deployment datacenter -kill -throttle 0.1 -json
//	go run ./cmd/bridgebench -db 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable' -replicas 3
//	go run ./cmd/bridgebench -scenario slack -tickets 200 -concurrency 200
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := realMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bridgebench:", err)
		if errors.Is(err, errTargetsMissed) {
			os.Exit(3)
		}
		os.Exit(1)
	}
}

// errTargetsMissed means the run finished but lost events or saw duplicates.
var errTargetsMissed = errors.New("correctness check failed")

func realMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	opts.Log = stderr
	if opts.ToolProfile != "" {
		stopProfile, err := profileSelf(opts.ToolProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	sum, runErr := Run(ctx, opts)
	if sum != nil {
		if opts.JSON {
			err = sum.WriteJSON(stdout)
		} else {
			err = sum.WriteText(stdout)
		}
		if err != nil {
			return err
		}
	}
	if runErr != nil {
		return runErr
	}
	if !sum.Correct() {
		return errTargetsMissed
	}
	return nil
}

// profileSelf writes the tool's own CPU profile (the fakes and senders run
// here and share the machine with the bridge).
func profileSelf(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
