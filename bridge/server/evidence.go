package server

import (
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/bridge/audit"
)

// evidence serves a ticket's evidence as JSON (Accept: application/json or
// ?format=json) or as a page an auditor can read. Access needs the bearer
// token or the signed link the bridge put in its ticket comment.
func (s *server) evidence(w http.ResponseWriter, r *http.Request) {
	ref := bridge.Ref{Source: r.PathValue("source"), Key: r.PathValue("key")}
	if !s.authorized(r) && !s.p.EvidenceLinkValid(ref, r.URL.Query().Get("sig")) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "a bearer token or a signed evidence link is required"})
		return
	}
	ev, err := s.p.Evidence(r.Context(), ref)
	if errors.Is(err, bridge.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no evidence for " + ref.String()})
		return
	}
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "evidence could not be read"})
		return
	}
	records, err := s.p.AuditRecords(r.Context(), ref)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "audit records could not be read"})
		return
	}
	if r.URL.Query().Get("format") == "json" || strings.Contains(r.Header.Get("Accept"), "application/json") {
		writeJSON(w, http.StatusOK, map[string]any{"evidence": ev, "audit": records})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	if err := evidencePage.Execute(w, struct {
		E       bridge.Evidence
		Records []audit.Record
	}{ev, records}); err != nil {
		s.cfg.Log.Warn("evidence page", "err", err)
	}
}

var evidencePage = template.Must(template.New("evidence").Funcs(template.FuncMap{
	"ts": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Evidence {{.E.Ticket.Source}}:{{.E.Ticket.Key}}</title>
<style>body{font:15px system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2530}
h1{font-size:1.4rem}.v{display:inline-block;padding:.1rem .5rem;border-radius:.3rem;font-weight:600}
.allowed{background:#d7f5dd}.pending{background:#fff1c2}.denied,.error{background:#fbd3d0}.not_applicable{background:#e6e9ee}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}td,th{border-bottom:1px solid #dde2e8;padding:.35rem .5rem;text-align:left;vertical-align:top}
code{font-size:.85em;word-break:break-all}</style></head><body>
<h1>{{.E.Ticket.Source}}:{{.E.Ticket.Key}} <span class="v {{.E.Verdict}}">{{.E.Verdict}}</span></h1>
{{with .E.URL}}<p><a href="{{.}}">Open the ticket</a></p>{{end}}
<table>
<tr><th>Category</th><td>{{.E.Decision.Classification.Category}} ({{.E.Decision.Classification.Impact}})</td></tr>
<tr><th>Requested</th><td>{{with .E.Decision.Classification.Entitlement}}{{.Resource}} {{.Role}} {{if .Duration}}for {{.Duration}}{{end}} {{with .Subject}}for {{.}}{{end}}{{end}}</td></tr>
<tr><th>Rule</th><td>{{.E.Decision.Rule}}</td></tr>
{{range .E.Decision.Missing}}<tr><th>Waiting on</th><td>{{.Name}}: {{.Have}} of {{.Count}} {{range .Candidates}}{{.}} {{end}}</td></tr>{{end}}
{{range .E.Decision.Reasons}}<tr><th>Reason</th><td>{{.}}</td></tr>{{end}}
{{with .E.Decision.Exception}}<tr><th>Exception</th><td>break-glass rule {{.Rule}}, review due {{ts .ReviewDue}}</td></tr>{{end}}
<tr><th>Decided</th><td>{{ts .E.EvaluatedAt}}</td></tr>
{{if not .E.Decision.GrantUntil.IsZero}}<tr><th>Access until</th><td>{{ts .E.Decision.GrantUntil}}</td></tr>{{end}}
<tr><th>Policy</th><td><code>{{.E.PolicyDigest}}</code></td></tr>
</table>
{{with .E.Decision.Eligibility}}<h2>Eligibility</h2>
<table><tr><th>Check</th><th>Result</th><th>Why</th></tr>
{{range .}}<tr><td>{{.Name}}</td><td>{{if .Passed}}passed{{else}}failed{{end}}</td><td>{{.Reason}}</td></tr>{{end}}
</table>{{end}}
<h2>Approvals</h2>
<table><tr><th>Who</th><th>Decision</th><th>When</th><th>Channel</th><th>Verified from</th></tr>
{{range .E.Approvals}}<tr><td>{{.By}}</td><td>{{or .Decision "approve"}} {{.Reason}}</td><td>{{ts .At}}</td><td>{{.Channel}}</td><td>{{.SourceUser}}</td></tr>{{else}}<tr><td colspan="5">none</td></tr>{{end}}
</table>
<h2>Audit trail</h2>
<table><tr><th>#</th><th>When</th><th>Kind</th><th>Hash</th></tr>
{{range .Records}}<tr><td>{{.Seq}}</td><td>{{ts .At}}</td><td>{{.Kind}}</td><td><code>{{.Hash}}</code></td></tr>{{end}}
</table></body></html>
`))
