package slackfake

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The Web API methods. Each runs with s.mu held.

func (s *Server) authTest(args) (map[string]any, string) {
	return map[string]any{"url": s.baseURL + "/", "team": "fake", "team_id": "T0FAKE",
		"user": "accessbridge", "user_id": "U0BOT", "bot_id": "B0BOT"}, ""
}

func (s *Server) postMessage(a args) (map[string]any, string) {
	ch, code := s.resolveChannel(a.str("channel"))
	if code != "" {
		return nil, code
	}
	m := &Message{Channel: ch, Text: a.str("text"), ThreadTS: a.str("thread_ts"), Versions: 1}
	if code := setBlocks(m, a); code != "" {
		return nil, code
	}
	if m.Text == "" && len(m.Blocks) == 0 {
		return nil, "no_text"
	}
	m.TS = s.nextTS()
	s.channels[ch] = append(s.channels[ch], m)
	return map[string]any{"channel": ch, "ts": m.TS,
		"message": map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "blocks": m.RawBlocks}}, ""
}

func (s *Server) updateMessage(a args) (map[string]any, string) {
	ch, code := s.resolveChannel(a.str("channel"))
	if code != "" {
		return nil, code
	}
	m := s.find(ch, a.str("ts"))
	if m == nil {
		return nil, "message_not_found"
	}
	if !a.has("text") && !a.has("blocks") {
		return nil, "no_text"
	}
	next := *m
	if a.has("text") {
		next.Text = a.str("text")
	}
	if code := setBlocks(&next, a); code != "" {
		return nil, code
	}
	next.Versions++
	*m = next
	return map[string]any{"channel": ch, "ts": m.TS, "text": m.Text}, ""
}

func (s *Server) postEphemeral(a args) (map[string]any, string) {
	ch, code := s.resolveChannel(a.str("channel"))
	if code != "" {
		return nil, code
	}
	u := s.users[a.str("user")]
	if u == nil || u.Deleted {
		return nil, "user_not_found"
	}
	m := &Message{Text: a.str("text")}
	if code := setBlocks(m, a); code != "" {
		return nil, code
	}
	if m.Text == "" && len(m.Blocks) == 0 {
		return nil, "no_text"
	}
	e := Ephemeral{Channel: ch, User: u.ID, TS: s.nextTS(), Text: m.Text, Blocks: m.Blocks}
	s.ephem = append(s.ephem, e)
	return map[string]any{"message_ts": e.TS}, ""
}

func (s *Server) usersInfo(a args) (map[string]any, string) {
	u := s.users[a.str("user")]
	if u == nil {
		return nil, "user_not_found"
	}
	return map[string]any{"user": u.json()}, ""
}

func (s *Server) usersLookupByEmail(a args) (map[string]any, string) {
	email := strings.ToLower(a.str("email"))
	for _, u := range s.users {
		if email != "" && strings.ToLower(u.Email) == email && !u.Deleted {
			return map[string]any{"user": u.json()}, ""
		}
	}
	return nil, "users_not_found"
}

func (s *Server) conversationsOpen(a args) (map[string]any, string) {
	ids := strings.Split(a.str("users"), ",")
	if len(ids) != 1 || ids[0] == "" {
		return nil, "invalid_arguments" // group DMs are not faked
	}
	u := s.users[ids[0]]
	if u == nil || u.Deleted {
		return nil, "user_not_found"
	}
	ch, already := s.dms[u.ID]
	if !already {
		ch = fmt.Sprintf("D%07d", s.nextID())
		s.dms[u.ID] = ch
	}
	return map[string]any{"channel": map[string]any{"id": ch, "is_im": true, "user": u.ID},
		"already_open": already, "no_op": already}, ""
}

// resolveChannel accepts a known channel id, a DM id, or a user id (Slack
// posts those to the app's DM with that user).
func (s *Server) resolveChannel(id string) (string, string) {
	if id == "" {
		return "", "channel_not_found"
	}
	if _, ok := s.channels[id]; ok {
		return id, ""
	}
	for _, ch := range s.dms {
		if ch == id {
			return id, ""
		}
	}
	if u := s.users[id]; u != nil && !u.Deleted {
		ch, ok := s.dms[id]
		if !ok {
			ch = fmt.Sprintf("D%07d", s.nextID())
			s.dms[id] = ch
		}
		return ch, ""
	}
	return "", "channel_not_found"
}

func (s *Server) find(ch, ts string) *Message {
	for _, m := range s.channels[ch] {
		if m.TS == ts {
			return m
		}
	}
	return nil
}

// setBlocks applies a blocks argument: omitted keeps, [] clears, anything
// that is not a well-formed array is invalid_blocks.
func setBlocks(m *Message, a args) string {
	raw, ok := a.raw("blocks")
	if !ok {
		return ""
	}
	bs, valid := parseBlocks(raw)
	if !valid {
		return "invalid_blocks"
	}
	m.Blocks, m.RawBlocks = bs, json.RawMessage(raw)
	return ""
}

func (s *Server) nextTS() string {
	return fmt.Sprintf("%d.%06d", 1700000000+s.nextID(), s.seq)
}

func (u *User) json() map[string]any {
	return map[string]any{"id": u.ID, "team_id": u.TeamID, "name": u.Name, "real_name": u.RealName,
		"deleted": u.Deleted, "is_bot": u.IsBot,
		"profile": map[string]any{"email": u.Email, "real_name": u.RealName, "display_name": u.Name}}
}
