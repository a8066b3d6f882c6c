package jirafake

import (
	"encoding/json"
	"maps"
	"net/http"
	"strconv"
	"strings"
)

func isV3(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/rest/api/3/") }

func splitList(vs []string) []string {
	var out []string
	for _, v := range vs {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func (f *Fake) getIssue(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.RLock()
	defer f.mu.RUnlock()
	is := f.issueByRef(r.PathValue("key"))
	if is == nil {
		notFound(w)
		return
	}
	o := renderOpts{v3: isV3(r), fields: parseFields(q["fields"], "*all"), props: splitList(q["properties"])}
	o.changelog = strings.Contains(q.Get("expand"), "changelog")
	writeJSON(w, http.StatusOK, f.issueJSON(is, o))
}

// editBody is IssueUpdateDetails. Cloud also takes "properties" (issue
// properties set in the same edit); Data Center's IssueUpdateBean has no
// such member and ignores unknown ones, so there it is dropped silently.
type editBody struct {
	Fields     map[string]json.RawMessage              `json:"fields"`
	Update     map[string][]map[string]json.RawMessage `json:"update"`
	Properties json.RawMessage                         `json:"properties"`
}

// properties validates b.Properties on Cloud (nil on Data Center).
func (f *Fake) properties(b editBody) (map[string]json.RawMessage, *apiErr) {
	if !f.cloud {
		return nil, nil
	}
	return parseProperties(b.Properties)
}

func (f *Fake) editIssue(w http.ResponseWriter, r *http.Request) {
	var b editBody
	if !decodeBody(w, r, &b) {
		return
	}
	props, e := f.properties(b)
	if e != nil {
		e.write(w)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	is := f.issueByRef(r.PathValue("key"))
	if is == nil {
		notFound(w)
		return
	}
	if e := f.edit(actor(r), is, b.Fields, b.Update, isV3(r)); e != nil {
		e.write(w)
		return
	}
	maps.Copy(is.props, props) // after the edit: all or nothing
	w.WriteHeader(http.StatusNoContent)
}

func (f *Fake) createIssue(w http.ResponseWriter, r *http.Request) {
	var b editBody
	if !decodeBody(w, r, &b) {
		return
	}
	props, e := f.properties(b)
	if e != nil {
		e.write(w)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	is, e := f.create(actor(r), b.Fields, isV3(r))
	if e != nil {
		e.write(w)
		return
	}
	maps.Copy(is.props, props)
	writeJSON(w, http.StatusCreated, map[string]string{"id": is.id, "key": is.key, "self": f.baseURL + "/rest/api/2/issue/" + is.id})
}

func (f *Fake) listComments(w http.ResponseWriter, r *http.Request) {
	start, _ := strconv.Atoi(r.URL.Query().Get("startAt"))
	max, err := strconv.Atoi(r.URL.Query().Get("maxResults"))
	if err != nil || max <= 0 || max > 5000 {
		max = 5000
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	is := f.issueByRef(r.PathValue("key"))
	if is == nil {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, f.commentPage(is, max0(start), max, isV3(r)))
}

func max0(n int) int { return max(n, 0) }

// commentBody validates a comment body: v2 wants a string, v3 an ADF doc.
func commentBody(raw json.RawMessage, v3 bool) (string, json.RawMessage, *apiErr) {
	if v3 {
		text, ok := textFromADF(raw)
		if !ok {
			return "", nil, badField("comment", "Comment body is not valid!")
		}
		return text, append(json.RawMessage(nil), raw...), nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", nil, badField("comment", "Comment body is not valid!")
	}
	if strings.TrimSpace(s) == "" {
		return "", nil, badField("comment", "Comment body can not be empty!")
	}
	return s, nil, nil
}

func (f *Fake) addCommentHandler(w http.ResponseWriter, r *http.Request, edit bool) {
	var b struct{ Body json.RawMessage }
	if !decodeBody(w, r, &b) {
		return
	}
	text, adf, e := commentBody(b.Body, isV3(r))
	if e != nil {
		e.write(w)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	is := f.issueByRef(r.PathValue("key"))
	if is == nil {
		notFound(w)
		return
	}
	if !edit {
		c := f.addComment(actor(r), is, text, adf)
		writeJSON(w, http.StatusCreated, f.commentJSON(is, c, isV3(r)))
		return
	}
	c := findComment(is, r.PathValue("id"))
	if c == nil {
		writeErr(w, http.StatusNotFound, []string{"Can not find a comment for the id: " + r.PathValue("id") + "."}, nil)
		return
	}
	if c.author != actor(r) {
		writeErr(w, http.StatusForbidden, []string{"You do not have the permission to edit this comment."}, nil)
		return
	}
	f.editComment(actor(r), is, c, text, adf)
	writeJSON(w, http.StatusOK, f.commentJSON(is, c, isV3(r)))
}

func (f *Fake) handleAddComment(w http.ResponseWriter, r *http.Request) {
	f.addCommentHandler(w, r, false)
}

func (f *Fake) handleEditComment(w http.ResponseWriter, r *http.Request) {
	f.addCommentHandler(w, r, true)
}

func (f *Fake) getComment(w http.ResponseWriter, r *http.Request) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	is := f.issueByRef(r.PathValue("key"))
	if is == nil {
		notFound(w)
		return
	}
	c := findComment(is, r.PathValue("id"))
	if c == nil {
		writeErr(w, http.StatusNotFound, []string{"Can not find a comment for the id: " + r.PathValue("id") + "."}, nil)
		return
	}
	writeJSON(w, http.StatusOK, f.commentJSON(is, c, isV3(r)))
}

func findComment(is *issue, id string) *comment {
	for _, c := range is.comments {
		if c.id == id {
			return c
		}
	}
	return nil
}

func (f *Fake) listTransitions(w http.ResponseWriter, r *http.Request) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	is := f.issueByRef(r.PathValue("key"))
	if is == nil {
		notFound(w)
		return
	}
	ts := []map[string]any{}
	for _, t := range f.workflow.available(is.status.Name) {
		to, _ := f.workflow.status(t.To)
		ts = append(ts, map[string]any{"id": t.ID, "name": t.Name, "to": f.statusJSON(to),
			"hasScreen": false, "isGlobal": len(t.From) == 0, "isInitial": false, "isConditional": false, "fields": map[string]any{}})
	}
	writeJSON(w, http.StatusOK, map[string]any{"expand": "transitions", "transitions": ts})
}

func (f *Fake) doTransition(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Transition *struct{ ID, Name string } `json:"transition"`
		Fields     map[string]json.RawMessage `json:"fields"`
		Update     struct {
			Comment []struct {
				Add struct{ Body json.RawMessage } `json:"add"`
			} `json:"comment"`
		} `json:"update"`
	}
	if !decodeBody(w, r, &b) {
		return
	}
	if b.Transition == nil || b.Transition.ID == "" {
		badRequest("Missing 'transition' identifier").write(w)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	is := f.issueByRef(r.PathValue("key"))
	if is == nil {
		notFound(w)
		return
	}
	for _, t := range f.workflow.available(is.status.Name) {
		if t.ID == b.Transition.ID {
			f.transition(actor(r), is, t)
			for _, c := range b.Update.Comment {
				if text, adf, e := commentBody(c.Add.Body, isV3(r)); e == nil {
					f.addComment(actor(r), is, text, adf)
				}
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	badRequest("Transition id '" + b.Transition.ID + "' is not valid for this issue.").write(w)
}

func (f *Fake) myself(w http.ResponseWriter, r *http.Request) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	writeJSON(w, http.StatusOK, f.userJSON(actor(r)))
}

func (f *Fake) getUser(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ref := q.Get("accountId")
	if !f.cloud {
		ref = q.Get("username") + q.Get("key")
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	u := f.user(ref)
	if ref == "" || u == nil {
		writeErr(w, http.StatusNotFound, []string{"The user with the given identifier does not exist."}, nil)
		return
	}
	writeJSON(w, http.StatusOK, f.userJSON(u))
}
