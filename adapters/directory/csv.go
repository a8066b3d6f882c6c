package directory

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
)

var utf8BOM = []byte("\xef\xbb\xbf")

// readCSV reads a header row and one person per row. Field errors are
// collected; a syntax error (a stray quote) stops the read, since a CSV
// reader cannot reliably find the next row after one.
func readCSV(data []byte, p *problems) []record {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, utf8BOM)))
	r.FieldsPerRecord = -1 // checked here, so a short row does not end the read
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		p.add(pos{}, "empty file: want a header row naming the columns (%s)", strings.Join(Columns, ", "))
		return nil
	}
	if err != nil {
		addCSVError(p, err)
		return nil
	}
	cols, ok := csvHeader(header, p)
	if !ok {
		return nil
	}
	var recs []record
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			return recs
		}
		if err != nil {
			addCSVError(p, err)
			p.truncated = true
			return recs
		}
		line, _ := r.FieldPos(0)
		if rec, ok := csvRow(row, cols, line, p); ok {
			recs = append(recs, rec)
		}
	}
}

// csvHeader maps column index to field name ("" = ignore). Names are
// matched ignoring case, and spaces or dashes count as underscores, so
// "Employment Type" is employment_type.
func csvHeader(header []string, p *problems) ([]string, bool) {
	at := pos{line: 1}
	cols := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		name := strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(h)))
		switch {
		case !knownColumn(name):
			p.add(at, "unknown column %q (known: %s)", h, strings.Join(Columns, ", "))
		case seen[name]:
			p.add(at, "duplicate column %q", h)
		default:
			cols[i] = name
			seen[name] = true
		}
	}
	complete := true
	for _, name := range required {
		if !seen[name] {
			p.add(at, "missing column %q", name)
			complete = false
		}
	}
	if !complete {
		return nil, false // every row would repeat the same complaint
	}
	return cols, true
}

func csvRow(row, cols []string, line int, p *problems) (record, bool) {
	at := pos{line: line}
	if len(row) != len(cols) {
		p.add(at, "%d fields, header has %d", len(row), len(cols))
		return record{}, false
	}
	rec := record{at: at}
	blank := true
	for i, v := range row {
		if strings.TrimSpace(v) != "" {
			blank = false
		}
		if cols[i] != "" {
			rec.fields = append(rec.fields, field{name: cols[i], value: v, at: at})
		}
	}
	return rec, !blank // spreadsheet exports end with rows of empty cells
}

func addCSVError(p *problems, err error) {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		p.add(pos{line: pe.Line, col: pe.Column}, "%v", pe.Err)
		return
	}
	p.add(pos{}, "%v", err)
}
