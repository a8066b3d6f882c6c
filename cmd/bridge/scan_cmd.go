package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"

	"github.com/accessbridge/accessbridge/adapters/jira"
	"github.com/accessbridge/accessbridge/bridge/scan"
	"github.com/accessbridge/accessbridge/policy"
)

func init() {
	register("scan", "audit a ticket export offline and print the governance report", runScan)
}

// Input formats of an export.
const (
	inputAuto    = "auto"
	inputJira    = "jira"    // a Jira search response {"issues":[…]} or an array of issues
	inputTickets = "tickets" // a JSON array of bridge tickets
)

// runScan: bridge scan --policy P --directory D EXPORT.json
func runScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("scan", stderr)
	var policies stringList
	fs.Var(&policies, "policy", "policy file or directory (repeatable; env BRIDGE_POLICY)")
	dirPath := fs.String("directory", os.Getenv("BRIDGE_DIRECTORY"), "directory export: CSV, JSON or YAML (env BRIDGE_DIRECTORY)")
	format := fs.String("format", "text", "report format: text, json or csv (one row per ticket)")
	input := fs.String("input", inputAuto, "export format: auto, jira (search response) or tickets (array of bridge tickets)")
	nowFlag := fs.String("now", "", "evaluate as of this RFC 3339 time (default: now)")
	out := fs.String("out", "", "write the report to this file instead of stdout")
	failOn := fs.Bool("fail-on-violations", false, "exit 3 when the report finds violations")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "tickets evaluated in parallel")
	fieldMap := fs.String("field-map", os.Getenv("BRIDGE_JIRA_FIELD_MAP"), "Jira custom fields, name:customfield_id,… (env BRIDGE_JIRA_FIELD_MAP; default: the example export's)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: bridge scan --policy P --directory D [--format text|json|csv] [--now T] [--out FILE] [--fail-on-violations] EXPORT.json")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageError(err)
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitError{code: 2, msg: "bridge scan: want exactly one export file"}
	}
	if *format != "text" && *format != "json" && *format != "csv" {
		return exitError{code: 2, msg: fmt.Sprintf("bridge scan: --format %q: want text, json or csv", *format)}
	}
	now, err := parseNow(*nowFlag)
	if err != nil {
		return exitError{code: 2, msg: err.Error()}
	}
	mapping, err := jiraMapping(*fieldMap)
	if err != nil {
		return exitError{code: 2, msg: err.Error()}
	}
	pol, dir, err := loadInputs(policies, *dirPath, stderr)
	if err != nil {
		return err
	}
	job := scanJob{path: pos[0], input: *input, format: *format, mapping: mapping, scanner: scan.New(pol, dir, now), workers: *workers}
	r, err := job.run(ctx, *out, stdout)
	if err != nil {
		return exitError{code: 1, msg: err.Error()}
	}
	if *failOn && r.Totals.Violations > 0 {
		return exitError{code: 3, msg: fmt.Sprintf("%d violation(s) on %d ticket(s)", r.Totals.Violations, r.Totals.TicketsWithViolations)}
	}
	return nil
}

type scanJob struct {
	path    string
	input   string
	format  string
	mapping jira.Mapping
	scanner *scan.Scanner
	workers int
}

// batchSize bounds how many tickets are in memory at once.
const batchSize = 256

// run streams the export through the scanner and writes the report to
// outPath (atomically, via a temporary file) or stdout.
func (j scanJob) run(ctx context.Context, outPath string, stdout io.Writer) (scan.Report, error) {
	if outPath == "" {
		bw := bufio.NewWriter(stdout)
		r, err := j.write(ctx, bw)
		if ferr := bw.Flush(); err == nil {
			err = ferr
		}
		return r, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(outPath), ".bridge-scan-*")
	if err != nil {
		return scan.Report{}, err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	bw := bufio.NewWriter(tmp)
	r, err := j.write(ctx, bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), outPath)
	}
	return r, err
}

// write scans and writes the report in the chosen format; CSV rows are
// written as tickets arrive.
func (j scanJob) write(ctx context.Context, w io.Writer) (scan.Report, error) {
	var csvw *scan.CSVWriter
	if j.format == "csv" {
		csvw = scan.NewCSVWriter(w)
	}
	batch := make([]policy.Ticket, 0, batchSize)
	rows := make([]scan.Row, batchSize)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		j.scanner.AddBatch(batch, rows[:len(batch)], j.workers)
		if csvw != nil {
			for _, r := range rows[:len(batch)] {
				if err := csvw.Write(r); err != nil {
					return err
				}
			}
		}
		clear(batch) // let the tickets go
		batch = batch[:0]
		return nil
	}
	err := j.each(func(t policy.Ticket) error {
		if batch = append(batch, t); len(batch) < batchSize {
			return nil
		}
		return flush()
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return scan.Report{}, err
	}
	r := j.scanner.Report()
	r.Source = j.path
	switch j.format {
	case "csv":
		return r, csvw.Flush()
	case "json":
		return r, scan.WriteJSON(w, r)
	}
	return r, scan.WriteText(w, r)
}

// each decodes the export one ticket at a time.
func (j scanJob) each(fn func(policy.Ticket) error) error {
	f, err := os.Open(j.path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	input := j.input
	if input == inputAuto {
		input = sniffExport(br)
	}
	switch input {
	case inputJira:
		err = jira.DecodeSearch(br, j.mapping, fn)
	case inputTickets:
		err = scan.DecodeTickets(br, fn)
	default:
		return fmt.Errorf("--input %q: want auto, jira or tickets", j.input)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return positionExportError(j.path, err)
	}
	return err
}

// sniffExport tells a Jira export from an array of bridge tickets by what
// comes first: a Jira issue has "fields" before its summary, a bridge
// ticket has "summary" at the top level and no "fields" object before it.
func sniffExport(br *bufio.Reader) string {
	head, _ := br.Peek(32 << 10)
	head = bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(head) == 0 || head[0] != '[' {
		return inputJira
	}
	fields := bytes.Index(head, []byte(`"fields"`))
	summary := bytes.Index(head, []byte(`"summary"`))
	if summary >= 0 && (fields < 0 || summary < fields) {
		return inputTickets
	}
	return inputJira
}

var atByte = regexp.MustCompile(`at (?:byte|offset) (\d+)`)

// positionExportError adds file:line:column to a decoding error that names
// a byte offset, by re-reading the file up to it (the scan kept no copy).
func positionExportError(path string, err error) error {
	m := atByte.FindStringSubmatch(err.Error())
	if m == nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	off, perr := strconv.ParseInt(m[1], 10, 64)
	if perr != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	line, col, perr := fileLineCol(path, off)
	if perr != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return fmt.Errorf("%s:%d:%d: %w", path, line, col, err)
}

// fileLineCol returns the line and column of the first JSON value at or
// after byte offset off of a file (a decoder's offset often sits on the
// separator before it), reading the file as a stream.
func fileLineCol(path string, off int64) (line, col int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	line, col = 1, 1
	for n := int64(0); ; n++ {
		b, err := br.ReadByte()
		if err == io.EOF {
			return line, col, nil
		}
		if err != nil {
			return 0, 0, err
		}
		if n >= off && !bytes.ContainsRune([]byte(" \t\r\n,:"), rune(b)) {
			return line, col, nil
		}
		if b == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
}
