package scan

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strings"
)

// WriteJSON writes the report as indented JSON (schema Schema). Empty lists
// are written as [] so consumers never meet null.
func WriteJSON(w io.Writer, r Report) error {
	if r.Violations == nil {
		r.Violations = []Violation{}
	}
	if r.Waiting == nil {
		r.Waiting = []Waiting{}
	}
	if r.Exceptions == nil {
		r.Exceptions = []ExceptionEntry{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// CSVHeader is the first line of the CSV report.
var CSVHeader = []string{"key", "status", "category", "impact", "verdict", "rule", "missing", "violations"}

// CSVWriter writes one row per ticket as the scan goes, so the CSV report
// needs no memory per ticket.
type CSVWriter struct {
	w      *csv.Writer
	header bool
}

// NewCSVWriter returns a writer that starts with CSVHeader.
func NewCSVWriter(w io.Writer) *CSVWriter { return &CSVWriter{w: csv.NewWriter(w)} }

// Write writes one ticket's row; list cells are joined with ";".
func (c *CSVWriter) Write(r Row) error {
	if !c.header {
		c.header = true
		if err := c.w.Write(CSVHeader); err != nil {
			return err
		}
	}
	return c.w.Write([]string{
		cell(r.Key), cell(r.Status), string(r.Category), r.Impact.String(), string(r.Verdict),
		cell(r.Rule), cell(strings.Join(r.Missing, ";")), joinKinds(r.Violations),
	})
}

// Flush writes the header if no row came, flushes and reports any error.
func (c *CSVWriter) Flush() error {
	if !c.header {
		c.header = true
		if err := c.w.Write(CSVHeader); err != nil {
			return err
		}
	}
	c.w.Flush()
	return c.w.Error()
}

// cell defuses spreadsheet formulas: a ticket field starting with = + - @
// must not run as a formula when an auditor opens the CSV.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
