package jirafake

import (
	"encoding/base64"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
)

// searchDC is GET /rest/api/2/search: startAt paging with total. On
// Cloud it is gone (CHANGE-2046).
func (f *Fake) searchDC(w http.ResponseWriter, r *http.Request) {
	if f.cloud {
		writeErr(w, http.StatusGone, []string{"The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"}, nil)
		return
	}
	q := r.URL.Query()
	start, _ := strconv.Atoi(q.Get("startAt"))
	max, err := strconv.Atoi(q.Get("maxResults"))
	if err != nil || max < 0 {
		max = 50
	}
	max = min(max, 1000)
	o := renderOpts{fields: parseFields(q["fields"], "*navigable"), changelog: strings.Contains(q.Get("expand"), "changelog"), props: splitList(q["properties"])}
	f.mu.RLock()
	defer f.mu.RUnlock()
	hits, e := f.search(q.Get("jql"), false)
	if e != nil {
		e.write(w)
		return
	}
	start = min(max0(start), len(hits))
	page := hits[start:min(start+max, len(hits))]
	out := make([]map[string]any, len(page))
	for i, is := range page {
		out[i] = f.issueJSON(is, o)
	}
	writeJSON(w, http.StatusOK, map[string]any{"expand": "schema,names", "startAt": start, "maxResults": max, "total": len(hits), "issues": out})
}

type cloudSearch struct {
	JQL           string   `json:"jql"`
	NextPageToken string   `json:"nextPageToken"`
	MaxResults    int      `json:"maxResults"`
	Fields        []string `json:"fields"`
	Expand        string   `json:"expand"`
	Properties    []string `json:"properties"`
}

// searchCloud is GET/POST /rest/api/{2,3}/search/jql: nextPageToken
// paging, no total, only ids unless fields are asked for.
func (f *Fake) searchCloud(w http.ResponseWriter, r *http.Request) {
	var s cloudSearch
	if r.Method == http.MethodPost {
		if !decodeBody(w, r, &s) {
			return
		}
	} else {
		q := r.URL.Query()
		s = cloudSearch{JQL: q.Get("jql"), NextPageToken: q.Get("nextPageToken"), Fields: q["fields"], Expand: q.Get("expand"), Properties: splitList(q["properties"])}
		s.MaxResults, _ = strconv.Atoi(q.Get("maxResults"))
	}
	o := renderOpts{v3: isV3(r), fields: parseFields(s.Fields, "id"), changelog: strings.Contains(s.Expand, "changelog"), props: s.Properties}
	limit := 5000
	if !o.fields.idOnly {
		limit = 100 // Jira returns fewer per page when fields are requested
	}
	if s.MaxResults <= 0 {
		s.MaxResults = 50
	}
	s.MaxResults = min(s.MaxResults, limit)
	f.mu.RLock()
	defer f.mu.RUnlock()
	hits, e := f.search(s.JQL, true)
	if e != nil {
		e.write(w)
		return
	}
	start, ok := decodeToken(s.NextPageToken, s.JQL)
	if !ok {
		badRequest("The provided next page token is invalid or expired.").write(w)
		return
	}
	start = min(start, len(hits))
	end := min(start+s.MaxResults, len(hits))
	out := make([]map[string]any, 0, end-start)
	for _, is := range hits[start:end] {
		out = append(out, f.issueJSON(is, o))
	}
	resp := map[string]any{"issues": out, "isLast": end >= len(hits)}
	if end < len(hits) {
		resp["nextPageToken"] = encodeToken(end, s.JQL)
	}
	writeJSON(w, http.StatusOK, resp)
}

// search runs jql over all issues. Caller holds f.mu (read).
func (f *Fake) search(jql string, bounded bool) ([]*issue, *apiErr) {
	q, err := parseJQL(jql)
	if err != nil {
		return nil, badRequest(err.Error())
	}
	if bounded && len(q.preds) == 0 {
		return nil, badRequest("Unbounded JQL queries are not allowed here. Please add a search restriction to your query.")
	}
	var hits []*issue
	for _, is := range f.order {
		if q.match(is) {
			hits = append(hits, is)
		}
	}
	q.sort(hits)
	return hits, nil
}

func queryHash(jql string) string {
	h := fnv.New32a()
	h.Write([]byte(jql))
	return strconv.FormatUint(uint64(h.Sum32()), 36)
}

func encodeToken(offset int, jql string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(offset) + ":" + queryHash(jql)))
}

func decodeToken(tok, jql string) (int, bool) {
	if tok == "" {
		return 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	off, h, ok := strings.Cut(string(b), ":")
	n, err := strconv.Atoi(off)
	return n, ok && err == nil && n >= 0 && h == queryHash(jql)
}
