package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/accessbridge/accessbridge/policy"
)

func init() {
	register("policy check", "load policy files and report every error with file:line:column", runPolicyCheck)
	register("policy test", "run the tests: sections of policy files (like opa test)", runPolicyTest)
}

// runPolicyCheck: bridge policy check FILE|DIR…
func runPolicyCheck(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("policy check", stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: bridge policy check FILE|DIR…\n\nLoads and compiles the policy; prints every error as file:line:column: message.")
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageError(err)
	}
	if len(pos) == 0 {
		fs.Usage()
		return exitError{code: 2, msg: "bridge policy check: no policy files given"}
	}
	p, err := loadPolicy(pos, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ok: %d rules, %d resources, %d tests, mode %s, digest %s\n", len(p.Rules()), len(p.Resources()), len(p.Tests()), p.Mode(), p.Digest())
	return nil
}

// runPolicyTest: bridge policy test [-v] [-run SUBSTR] FILE|DIR…
func runPolicyTest(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("policy test", stderr)
	verbose := fs.Bool("v", false, "print the explanation tree of failing tests")
	run := fs.String("run", "", "run only tests whose name contains this text")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: bridge policy test [-v] [-run TEXT] FILE|DIR…")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageError(err)
	}
	if len(pos) == 0 {
		fs.Usage()
		return exitError{code: 2, msg: "bridge policy test: no policy files given"}
	}
	p, err := loadPolicy(pos, stderr)
	if err != nil {
		return err
	}
	passed, failed := 0, 0
	for _, r := range policy.RunTests(p) {
		if *run != "" && !strings.Contains(r.Name, *run) {
			continue
		}
		if r.Passed {
			passed++
			fmt.Fprintf(stdout, "PASS %s\n", r.Name)
			continue
		}
		failed++
		fmt.Fprintf(stdout, "FAIL %s:%d %s\n", r.File, r.Line, r.Name)
		for _, d := range r.Diff {
			fmt.Fprintf(stdout, "    %s\n", d)
		}
		if *verbose && r.Decision.Explanation != nil {
			r.Decision.Explanation.Format(indent(stdout, "      "))
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	if passed+failed == 0 {
		return exitError{code: 1, msg: "bridge policy test: no tests found"}
	}
	if failed > 0 {
		return exitError{code: 1}
	}
	return nil
}

// loadPolicy loads files and prints every positioned error on stderr.
func loadPolicy(paths []string, stderr io.Writer) (*policy.Policy, error) {
	p, err := policy.Load(paths...)
	if err == nil {
		return p, nil
	}
	var list policy.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Fprintln(stderr, e.Error())
		}
		return nil, exitError{code: 1, msg: fmt.Sprintf("%d error(s) in policy", len(list))}
	}
	return nil, exitError{code: 1, msg: err.Error()}
}

// parseArgs parses flags wherever they appear among the positional
// arguments ("scan EXPORT.json --format csv" works like the flags-first
// form); "--" ends flag parsing. It returns the positional arguments.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// fs.Parse stops at the first positional argument, or after "--".
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// usageError turns a flag parse failure into exit status 2 (-h stays 0).
func usageError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return exitError{code: 2}
}

// indentWriter prefixes every line written through it.
type indentWriter struct {
	w      io.Writer
	prefix string
	bol    bool
}

func indent(w io.Writer, prefix string) io.Writer {
	return &indentWriter{w: w, prefix: prefix, bol: true}
}

func (iw *indentWriter) Write(p []byte) (int, error) {
	for i, line := range strings.SplitAfter(string(p), "\n") {
		if line == "" {
			continue
		}
		if iw.bol {
			if _, err := io.WriteString(iw.w, iw.prefix); err != nil {
				return i, err
			}
		}
		if _, err := io.WriteString(iw.w, line); err != nil {
			return 0, err
		}
		iw.bol = strings.HasSuffix(line, "\n")
	}
	return len(p), nil
}
