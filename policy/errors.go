package policy

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// PosError is one problem in a policy file, at the YAML node that caused it.
type PosError struct {
	File   string
	Line   int
	Column int
	Msg    string
}

// Error formats the error as "file:line:column: msg" (line and column are
// left out when unknown, e.g. for a file that could not be read).
func (e *PosError) Error() string {
	if e.Line <= 0 {
		return e.File + ": " + e.Msg
	}
	return e.File + ":" + strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Column) + ": " + e.Msg
}

// ErrorList is every problem found while loading a policy, in file order.
type ErrorList []*PosError

// Error joins all errors with newlines.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap lets errors.As find each *PosError.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// sort orders errors by position; files keep their load order.
func (l ErrorList) sort(fileOrder map[string]int) {
	slices.SortStableFunc(l, func(a, b *PosError) int {
		return cmp.Or(
			cmp.Compare(fileOrder[a.File], fileOrder[b.File]),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column))
	})
}
