package scan

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/accessbridge/accessbridge/policy"
)

// WriteText writes the report for people: sections with counts and keys,
// columns aligned.
func WriteText(w io.Writer, r Report) error {
	ew := &errWriter{w: w}
	writeHeader(ew, r)
	writeTotals(ew, r)
	writeCategories(ew, r)
	writeVerdicts(ew, r)
	writeViolations(ew, r)
	writeWaiting(ew, r)
	writeExceptions(ew, r)
	return ew.err
}

// errWriter keeps the first write error so the sections stay readable.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return len(p), nil
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, nil
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }

func table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

func writeHeader(w *errWriter, r Report) {
	w.printf("accessbridge governance report\n")
	t := table(w)
	if r.Source != "" {
		fmt.Fprintf(t, "  export\t%s\n", r.Source)
	}
	fmt.Fprintf(t, "  as of\t%s\n", r.AsOf.UTC().Format(time.RFC3339))
	fmt.Fprintf(t, "  policy\t%s (mode %s)\n", r.PolicyDigest, r.PolicyMode)
	t.Flush()
}

func writeTotals(w *errWriter, r Report) {
	x := r.Totals
	w.printf("\nTotals\n")
	t := table(w)
	rows := []struct {
		name string
		n    int
	}{
		{"tickets scanned", x.Tickets},
		{"identity tickets", x.Identity},
		{"  completed", x.Completed},
		{"  declined / cancelled", x.Declined},
		{"  open", x.Open},
		{"other tickets", x.NotIdentity},
		{"violations", x.Violations},
		{"tickets with violations", x.TicketsWithViolations},
		{"waiting on approvals", x.Waiting},
		{"break-glass exceptions", x.Exceptions},
		{"  review overdue", x.ExceptionsOverdue},
		{"refused approval comments", x.RefusedComments},
	}
	for _, row := range rows {
		fmt.Fprintf(t, "  %s\t%d\n", row.name, row.n)
	}
	t.Flush()
}

func writeCategories(w *errWriter, r Report) {
	w.printf("\nIdentity tickets by category and impact\n")
	t := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(t, "  category\ttotal\t")
	for i := range nImpacts {
		fmt.Fprintf(t, "%s\t", policy.Impact(i))
	}
	fmt.Fprintln(t)
	for _, c := range r.Categories {
		fmt.Fprintf(t, "  %s\t%d\t", c.Category, c.Total)
		for _, n := range c.ByImpact {
			fmt.Fprintf(t, "%d\t", n.Count)
		}
		fmt.Fprintln(t)
	}
	t.Flush()
}

func writeVerdicts(w *errWriter, r Report) {
	w.printf("\nVerdicts (all tickets)\n")
	t := table(w)
	for _, v := range r.Verdicts {
		fmt.Fprintf(t, "  %s\t%d\n", v.Name, v.Count)
	}
	t.Flush()
}

func writeViolations(w *errWriter, r Report) {
	w.printf("\nViolations: %d on %d tickets\n", r.Totals.Violations, r.Totals.TicketsWithViolations)
	i := 0
	for _, k := range Kinds {
		n := 0
		for _, c := range r.ByKind {
			if c.Name == string(k) {
				n = c.Count
			}
		}
		w.printf("\n  %s (%s): %d\n", k.Title(), k, n)
		t := table(w)
		for ; i < len(r.Violations) && r.Violations[i].Kind == k; i++ {
			v := r.Violations[i]
			fmt.Fprintf(t, "    %s\t%s\t%s\t%s\n", v.Key, v.Status, v.Verdict, v.Reason)
		}
		t.Flush()
	}
}

func writeWaiting(w *errWriter, r Report) {
	w.printf("\nOpen identity tickets waiting on approvals: %d\n", len(r.Waiting))
	t := table(w)
	for _, x := range r.Waiting {
		fmt.Fprintf(t, "    %s\t%s\t%s/%s\t%s\twaiting on %s\n", x.Key, x.Status, x.Category, x.Impact, age(x.AgeHours), missingText(x.WaitingOn))
	}
	t.Flush()
}

func writeExceptions(w *errWriter, r Report) {
	w.printf("\nBreak-glass exceptions: %d (%d review overdue)\n", len(r.Exceptions), r.Totals.ExceptionsOverdue)
	t := table(w)
	for _, e := range r.Exceptions {
		due := "review due " + e.ReviewDue.UTC().Format(time.RFC3339)
		if e.Overdue {
			due += " (OVERDUE)"
		}
		fmt.Fprintf(t, "    %s\t%s\trule %s\t%s\t%s\n", e.Key, e.Status, e.Rule, e.Requester, due)
	}
	t.Flush()
}

// age renders hours as "5h", "3d" or "-" when unknown.
func age(hours int) string {
	switch {
	case hours <= 0:
		return "-"
	case hours < 48:
		return fmt.Sprintf("%dh", hours)
	}
	return fmt.Sprintf("%dd", hours/24)
}

// Used by the CSV writer as well.
func joinKinds(ks []Kind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ";")
}
