package directory

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// maxErrors caps how many problems one load reports: a wholly broken export
// must not turn into a million-line log record.
const maxErrors = 100

// Error is one problem in a directory file, positioned at the record or
// field it is about.
type Error struct {
	File string
	Line int    // 1-based; 0 when the problem concerns the whole file
	Col  int    // 1-based; 0 when unknown (CSV rows)
	Msg  string // e.g. `end_date "2026-13-01": month out of range`
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Col > 0 {
			b.WriteString(":" + strconv.Itoa(e.Col))
		}
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// Errors is every problem found in one file, in file order. Load and Parse
// return it (as error) so callers can print each problem on its own line.
type Errors []*Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap lets errors.As find each *Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// problems collects positioned errors for one file.
type problems struct {
	file      string
	list      Errors
	dropped   int
	truncated bool // a syntax error ended the read: references may point past it
}

func (p *problems) add(at pos, format string, args ...any) {
	if len(p.list) >= maxErrors {
		p.dropped++
		return
	}
	p.list = append(p.list, &Error{File: p.file, Line: at.line, Col: at.col, Msg: fmt.Sprintf(format, args...)})
}

func (p *problems) empty() bool { return len(p.list) == 0 }

// err returns the problems sorted by position, or nil when there are none.
// Cross-record checks run after per-record ones, so sorting is what makes
// the list read top-down.
func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	out := slices.Clone(p.list)
	slices.SortStableFunc(out, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	if p.dropped > 0 {
		out = append(out, &Error{File: p.file, Msg: fmt.Sprintf("%d more problems not shown", p.dropped)})
	}
	return out
}

// pos is a 1-based position in the file; col 0 means "the whole line".
type pos struct{ line, col int }
