package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// maxResponseURLUses is Slack's limit of posts per response_url.
const maxResponseURLUses = 5

// ResponsePost is one message posted to a response_url.
type ResponsePost struct {
	ResponseType    string
	Text            string
	Blocks          []Block
	ReplaceOriginal bool
	DeleteOriginal  bool
}

// AllText of a response post, as the person sees it.
func (p ResponsePost) AllText() string { return allText(p.Text, p.Blocks) }

type responseURL struct {
	posts []ResponsePost
}

// ResponseURL issues a fresh response_url, as Slack puts in each slash
// command and interaction payload.
func (s *Server) ResponseURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := fmt.Sprintf("R%07d", s.nextID())
	s.resp[id] = &responseURL{}
	return s.baseURL + "/response/" + id
}

// ResponsesJSON makes response URLs answer {"ok":true} as JSON instead of
// the literal text "ok" (Slack has done both; clients parse by Content-Type).
func (s *Server) ResponsesJSON(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.respJSON = on
}

// Responses returns what was posted to a response URL.
func (s *Server) Responses(url string) []ResponsePost {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, r := range s.resp {
		if s.baseURL+"/response/"+id == url {
			return append([]ResponsePost(nil), r.posts...)
		}
	}
	return nil
}

type responseBody struct {
	ResponseType    string          `json:"response_type"`
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	ReplaceOriginal bool            `json:"replace_original"`
	DeleteOriginal  bool            `json:"delete_original"`
}

func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["response_url"]++
	ru := s.resp[r.PathValue("id")]
	if ru == nil || len(ru.posts) >= maxResponseURLUses {
		http.Error(w, "used_url", http.StatusNotFound)
		return
	}
	var body responseBody
	if err != nil || json.Unmarshal(b, &body) != nil {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	p := ResponsePost{ResponseType: body.ResponseType, Text: body.Text,
		ReplaceOriginal: body.ReplaceOriginal, DeleteOriginal: body.DeleteOriginal}
	if len(body.Blocks) > 0 && string(body.Blocks) != "null" {
		bs, ok := parseBlocks(body.Blocks)
		if !ok {
			http.Error(w, "invalid_blocks", http.StatusBadRequest)
			return
		}
		p.Blocks = bs
	}
	if p.Text == "" && len(p.Blocks) == 0 && !p.DeleteOriginal {
		http.Error(w, "no_text", http.StatusBadRequest)
		return
	}
	ru.posts = append(ru.posts, p)
	if s.respJSON {
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok")
}
