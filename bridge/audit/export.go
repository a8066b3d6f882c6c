package audit

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/accessbridge/accessbridge/bridge/store"
)

// Export formats.
const (
	FormatJSONL = "jsonl"
	FormatCSV   = "csv"
)

// Export writes the records with since <= at < until (a zero bound is
// open) in seq order, streaming. jsonl writes one Record per line; csv
// writes the columns seq,at,kind,source,key,hash,prev_hash,data.
func Export(ctx context.Context, st *store.Store, since, until time.Time, format string, w io.Writer) error {
	var write func(Record) error
	var flush func() error
	switch format {
	case FormatJSONL:
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		write = func(r Record) error { return enc.Encode(r) }
		flush = func() error { return nil }
	case FormatCSV:
		cw := csv.NewWriter(w)
		if err := cw.Write([]string{"seq", "at", "kind", "source", "key", "hash", "prev_hash", "data"}); err != nil {
			return fmt.Errorf("audit: export: %w", err)
		}
		write = func(r Record) error {
			return cw.Write([]string{strconv.FormatInt(r.Seq, 10), r.At.UTC().Format(time.RFC3339Nano),
				r.Kind, r.Source, r.Key, r.Hash, r.PrevHash, string(r.Data)})
		}
		flush = func() error { cw.Flush(); return cw.Error() }
	default:
		return fmt.Errorf("audit: export: format %q: want jsonl or csv", format)
	}
	if err := exportRows(ctx, st, since, until, write); err != nil {
		return err
	}
	if err := flush(); err != nil {
		return fmt.Errorf("audit: export: %w", err)
	}
	return nil
}

func exportRows(ctx context.Context, st *store.Store, since, until time.Time, write func(Record) error) error {
	var (
		where []string
		args  []any
	)
	if !since.IsZero() {
		where, args = append(where, "at >= ?"), append(args, st.TimeValue(since))
	}
	if !until.IsZero() {
		where, args = append(where, "at < ?"), append(args, st.TimeValue(until))
	}
	query := `SELECT ` + recordColumns + ` FROM audit_log`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := st.ReadDB().QueryContext(ctx, st.Rebind(query+" ORDER BY seq"), args...)
	if err != nil {
		return fmt.Errorf("audit: export: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return fmt.Errorf("audit: export: %w", err)
		}
		if err := write(r); err != nil {
			return fmt.Errorf("audit: export: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit: export: %w", err)
	}
	return nil
}
