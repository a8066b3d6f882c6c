// Command bridge is accessbridge's one binary: the server and the offline
// tools (scan, classify, policy check|test, audit verify|export|pubkey).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand; run returns an error whose exitCode decides
// the process status.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{}

func register(name, summary string, run func(ctx context.Context, args []string, stdout, stderr io.Writer) error) {
	commands[name] = command{summary: summary, run: run}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(realMain(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func realMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	name, rest := "", args
	if len(args) > 0 {
		name, rest = args[0], args[1:]
		// two-word commands: "policy check", "audit verify"
		if len(rest) > 0 {
			if _, ok := commands[name+" "+rest[0]]; ok {
				name, rest = name+" "+rest[0], rest[1:]
			}
		}
	}
	cmd, ok := commands[name]
	if !ok {
		usage(stderr)
		if name == "" || name == "help" || name == "-h" || name == "--help" {
			return 0
		}
		fmt.Fprintf(stderr, "\nunknown command %q\n", name)
		return 2
	}
	if err := cmd.run(ctx, rest, stdout, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		var ec exitError
		if errors.As(err, &ec) {
			if ec.msg != "" {
				fmt.Fprintln(stderr, ec.msg)
			}
			return ec.code
		}
		fmt.Fprintf(stderr, "bridge %s: %v\n", name, err)
		return 1
	}
	return 0
}

// exitError ends the process with code after printing msg (if any).
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: bridge <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-16s %s\n", n, commands[n].summary)
	}
}

// newFlags returns a FlagSet that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("bridge "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
