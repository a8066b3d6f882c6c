package jirafake

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

type ctxKey struct{}

// actor is the authenticated user of a request.
func actor(r *http.Request) *User { return r.Context().Value(ctxKey{}).(*User) }

type route struct {
	pattern string // "METHOD /path"
	h       func(w http.ResponseWriter, r *http.Request)
	cloud   bool // exists only on Cloud (v3, search/jql)
	write   bool // has a side effect (faults "after" apply)
}

func (f *Fake) routes() http.Handler {
	mux := http.NewServeMux()
	var rs []route
	for _, v := range []string{"2", "3"} {
		p := "/rest/api/" + v
		c := v == "3"
		rs = append(rs,
			route{"GET " + p + "/issue/{key}", f.getIssue, c, false},
			route{"PUT " + p + "/issue/{key}", f.editIssue, c, true},
			route{"POST " + p + "/issue", f.createIssue, c, true},
			route{"GET " + p + "/issue/{key}/comment", f.listComments, c, false},
			route{"POST " + p + "/issue/{key}/comment", f.handleAddComment, c, true},
			route{"GET " + p + "/issue/{key}/comment/{id}", f.getComment, c, false},
			route{"PUT " + p + "/issue/{key}/comment/{id}", f.handleEditComment, c, true},
			route{"GET " + p + "/issue/{key}/transitions", f.listTransitions, c, false},
			route{"POST " + p + "/issue/{key}/transitions", f.doTransition, c, true},
			route{"GET " + p + "/issue/{key}/properties", f.listProperties, c, false},
			route{"GET " + p + "/issue/{key}/properties/{prop}", f.getProperty, c, false},
			route{"PUT " + p + "/issue/{key}/properties/{prop}", f.setProperty, c, true},
			route{"DELETE " + p + "/issue/{key}/properties/{prop}", f.deleteProperty, c, true},
			route{"GET " + p + "/search", f.searchDC, c, false},
			route{"GET " + p + "/search/jql", f.searchCloud, true, false},
			route{"POST " + p + "/search/jql", f.searchCloud, true, false},
			route{"GET " + p + "/myself", f.myself, c, false},
			route{"GET " + p + "/user", f.getUser, c, false},
		)
	}
	for _, rt := range rs {
		mux.HandleFunc(rt.pattern, f.wrap(rt))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		f.count("unmatched")
		writeErr(w, http.StatusNotFound, []string{"null for uri: " + r.URL.Path}, nil)
	})
	return mux
}

// wrap counts the call, authenticates, injects faults and runs h.
func (f *Fake) wrap(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.count(rt.pattern)
		if rt.cloud && !f.cloud {
			writeErr(w, http.StatusNotFound, []string{"null for uri: " + r.URL.Path}, nil)
			return
		}
		u := f.authenticate(r)
		if u == nil {
			w.Header().Set("WWW-Authenticate", `Basic realm="protected-area"`)
			writeErr(w, http.StatusUnauthorized, []string{"Client must be authenticated to access this resource."}, nil)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, u))
		fl := f.decideFault(rt.write)
		if fl.status != 0 && !fl.after {
			fl.write(w)
			return
		}
		if fl.status != 0 {
			rec := &discardWriter{h: http.Header{}}
			rt.h(rec, r)
			fl.write(w)
			return
		}
		rt.h(w, r)
	}
}

func (f *Fake) count(pattern string) {
	f.mu.Lock()
	f.calls[pattern]++
	f.mu.Unlock()
}

// authenticate accepts Basic email:token (Cloud) or Bearer token and Basic
// username:token (Data Center).
func (f *Fake) authenticate(r *http.Request) *User {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if user, pass, ok := r.BasicAuth(); ok {
		for _, u := range f.users {
			id := u.Name
			if f.cloud {
				id = u.Email
			}
			if u.Token != "" && strings.EqualFold(user, id) && pass == u.Token {
				return u
			}
		}
		return nil
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || f.cloud {
		return nil
	}
	for _, u := range f.users {
		if u.Token != "" && tok == u.Token {
			return u
		}
	}
	return nil
}

// errorBody is Jira's error envelope.
type errorBody struct {
	ErrorMessages []string          `json:"errorMessages"`
	Errors        map[string]string `json:"errors"`
}

func writeErr(w http.ResponseWriter, status int, msgs []string, errs map[string]string) {
	if msgs == nil {
		msgs = []string{}
	}
	if errs == nil {
		errs = map[string]string{}
	}
	writeJSON(w, status, errorBody{msgs, errs})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func notFound(w http.ResponseWriter) {
	writeErr(w, http.StatusNotFound, []string{"Issue does not exist or you do not have permission to see it."}, nil)
}

// decodeBody reads a JSON request body into v, answering 400 on failure.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 10<<20))
	if err := dec.Decode(v); err != nil {
		writeErr(w, http.StatusBadRequest, []string{"Unexpected character or malformed JSON in request body: " + err.Error()}, nil)
		return false
	}
	return true
}

type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}
