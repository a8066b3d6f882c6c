package jirafake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"unicode/utf8"
)

// Jira's limits on issue properties.
const (
	MaxPropertyValue = 32768
	MaxPropertyKey   = 255
)

// parseProperties validates the "properties" member of a Cloud create or
// edit body: an array of {key, value}, each checked as the properties
// endpoint checks its path and body. Values are stored compacted.
func parseProperties(raw json.RawMessage) (map[string]json.RawMessage, *apiErr) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var list []struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
	}
	if json.Unmarshal(raw, &list) != nil {
		return nil, badRequest("properties: expected an array of {\"key\", \"value\"} objects")
	}
	out := make(map[string]json.RawMessage, len(list))
	for _, p := range list {
		var buf bytes.Buffer
		switch {
		case p.Key == "":
			return nil, badRequest("The property key cannot be empty.")
		case len(p.Key) > MaxPropertyKey:
			return nil, badRequest("The property key is too long. The maximum allowed length is 255 characters.")
		case len(p.Value) == 0 || string(p.Value) == "null" || json.Compact(&buf, p.Value) != nil:
			return nil, badRequest("The property value cannot be empty.")
		case utf8.RuneCount(buf.Bytes()) > MaxPropertyValue:
			return nil, badRequest("The property value is too long. The maximum allowed length is 32768 characters.")
		}
		out[p.Key] = buf.Bytes()
	}
	return out, nil
}

func (f *Fake) listProperties(w http.ResponseWriter, r *http.Request) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	is := f.issueByRef(r.PathValue("key"))
	if is == nil {
		notFound(w)
		return
	}
	keys := []map[string]string{}
	names := make([]string, 0, len(is.props))
	for k := range is.props {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		keys = append(keys, map[string]string{"self": f.baseURL + "/rest/api/2/issue/" + is.id + "/properties/" + k, "key": k})
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
}

func (f *Fake) getProperty(w http.ResponseWriter, r *http.Request) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	is := f.issueByRef(r.PathValue("key"))
	if is == nil {
		notFound(w)
		return
	}
	k := r.PathValue("prop")
	v, ok := is.props[k]
	if !ok {
		writeErr(w, http.StatusNotFound, []string{"The property with key '" + k + "' does not exist."}, nil)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"key": k, "value": v})
}

func (f *Fake) setProperty(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxPropertyValue+2))
	k := r.PathValue("prop")
	switch {
	case err != nil || len(body) == 0:
		badRequest("The property value cannot be empty.").write(w)
		return
	case len(body) > MaxPropertyValue:
		badRequest("The property value is too long. The maximum allowed length is 32768 characters.").write(w)
		return
	case len(k) > MaxPropertyKey:
		badRequest("The property key is too long. The maximum allowed length is 255 characters.").write(w)
		return
	case !json.Valid(body):
		badRequest("The property value must be a valid JSON.").write(w)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	is := f.issueByRef(r.PathValue("key"))
	if is == nil {
		notFound(w)
		return
	}
	_, existed := is.props[k]
	var buf bytes.Buffer
	_ = json.Compact(&buf, body) // Jira stores the value, not the request's whitespace
	is.props[k] = buf.Bytes()
	if existed {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

func (f *Fake) deleteProperty(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	is := f.issueByRef(r.PathValue("key"))
	if is == nil {
		notFound(w)
		return
	}
	k := r.PathValue("prop")
	if _, ok := is.props[k]; !ok {
		writeErr(w, http.StatusNotFound, []string{"The property with key '" + k + "' does not exist."}, nil)
		return
	}
	delete(is.props, k)
	w.WriteHeader(http.StatusNoContent)
}
