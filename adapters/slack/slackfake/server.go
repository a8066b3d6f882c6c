// Package slackfake is an in-process fake of the parts of Slack that
// accessbridge uses: the Web API methods for messages, views and users, the
// response_url endpoint, and request signing. It fails the way Slack fails:
// HTTP 200 with {"ok":false,"error":…}, 429 with an integer Retry-After, and
// 5xx before or after applying a write.
package slackfake

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
)

// DefaultToken is the bot token the fake accepts unless SetToken changes it.
const DefaultToken = "xoxb-fake-token"

// Server is the fake's state and HTTP handler. All methods are safe for
// concurrent use.
type Server struct {
	mu       sync.Mutex
	baseURL  string
	srv      *httptest.Server
	token    string
	users    map[string]*User  // by id
	dms      map[string]string // user id → D… channel
	channels map[string][]*Message
	ephem    []Ephemeral
	views    []*View
	calls    map[string]int
	seq      int
	fails    []failure
	throttle throttle
	resp     map[string]*responseURL
	respJSON bool
}

// New starts a fake on a loopback port. Close it when done.
func New() *Server {
	s := newServer()
	s.srv = httptest.NewServer(s.Handler())
	s.baseURL = s.srv.URL
	return s
}

// NewHandler returns a fake that does not listen; serve Handler() yourself
// at baseURL (used to build response URLs), e.g. in a load tool.
func NewHandler(baseURL string) *Server {
	s := newServer()
	s.baseURL = strings.TrimSuffix(baseURL, "/")
	return s
}

func newServer() *Server {
	return &Server{
		token:    DefaultToken,
		users:    map[string]*User{},
		dms:      map[string]string{},
		channels: map[string][]*Message{},
		calls:    map[string]int{},
		resp:     map[string]*responseURL{},
	}
}

// Close stops the listener started by New.
func (s *Server) Close() {
	if s.srv != nil {
		s.srv.Close()
	}
}

// URL is the fake's base URL.
func (s *Server) URL() string { return s.baseURL }

// APIURL is the Web API base for slack.OptionAPIURL (with trailing slash).
func (s *Server) APIURL() string { return s.baseURL + "/api/" }

// SetToken changes the bot token the Web API accepts.
func (s *Server) SetToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = tok
}

// Calls reports how many requests reached a Web API method (throttled and
// failed ones included).
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Handler serves the Web API under /api/ and response URLs under /response/.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/{method}", s.serveAPI)
	mux.HandleFunc("GET /api/{method}", s.serveAPI)
	mux.HandleFunc("POST /response/{id}", s.serveResponseURL)
	return mux
}

// apiFunc handles one Web API method with the parsed arguments; it returns
// the fields of the success body or a Slack error code.
type apiFunc func(s *Server, args args) (map[string]any, string)

var methods = map[string]apiFunc{
	"auth.test":           (*Server).authTest,
	"chat.postMessage":    (*Server).postMessage,
	"chat.update":         (*Server).updateMessage,
	"chat.postEphemeral":  (*Server).postEphemeral,
	"views.open":          (*Server).viewsOpen,
	"views.update":        (*Server).viewsUpdate,
	"users.info":          (*Server).usersInfo,
	"users.lookupByEmail": (*Server).usersLookupByEmail,
	"conversations.open":  (*Server).conversationsOpen,
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	fn, ok := methods[method]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "unknown_method"})
		return
	}
	a, err := parseArgs(r)
	if err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_form_data"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[method]++
	if f, hit := s.takeFailure(method, false); hit {
		writeFailure(w, f)
		return
	}
	if retry, hit := s.throttle.take(); hit {
		w.Header().Set("Retry-After", strconv.Itoa(retry))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
		return
	}
	if code := s.authorize(r, a); code != "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": code})
		return
	}
	body, code := fn(s, a)
	if code != "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": code})
		return
	}
	if f, hit := s.takeFailure(method, true); hit {
		writeFailure(w, f) // the write above is applied; the caller sees a failure
		return
	}
	body["ok"] = true
	writeJSON(w, http.StatusOK, body)
}

// authorize accepts the token as a form/JSON field or a Bearer header.
func (s *Server) authorize(r *http.Request, a args) string {
	tok := a.str("token")
	if h := r.Header.Get("Authorization"); tok == "" && h != "" {
		var ok bool
		if tok, ok = strings.CutPrefix(h, "Bearer "); !ok {
			return "invalid_auth"
		}
	}
	switch {
	case tok == "":
		return "not_authed"
	case tok != s.token:
		return "invalid_auth"
	}
	return ""
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// nextID returns a fresh sequence number; callers hold mu.
func (s *Server) nextID() int {
	s.seq++
	return s.seq
}
