package slackfake

import "slices"

// AddUser registers a workspace member (replacing one with the same id).
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.TeamID == "" {
		u.TeamID = "T0FAKE"
	}
	s.users[u.ID] = &u
}

// AddChannel registers a public/private channel the bot may post to.
func (s *Server) AddChannel(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.channels[id]; !ok {
		s.channels[id] = nil
	}
}

// Messages returns the messages of a channel (or DM id) as they read now.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyMessages(s.channels[channel])
}

// DMs returns what the user sees in their DM with the app right now: the
// latest version of each message, oldest first.
func (s *Server) DMs(userID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.dms[userID]
	if !ok {
		return nil
	}
	return copyMessages(s.channels[ch])
}

// DMChannel is the D… id of the user's DM with the app, if one was opened.
func (s *Server) DMChannel(userID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.dms[userID]
	return ch, ok
}

// Ephemerals returns the chat.postEphemeral messages shown to a user.
func (s *Server) Ephemerals(userID string) []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Ephemeral
	for _, e := range s.ephem {
		if e.User == userID {
			out = append(out, e)
		}
	}
	return out
}

// Views returns every view opened, with its latest content.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, len(s.views))
	for i, v := range s.views {
		out[i] = *v
	}
	return out
}

func copyMessages(ms []*Message) []Message {
	out := make([]Message, len(ms))
	for i, m := range ms {
		out[i] = *m
		out[i].Blocks = slices.Clone(m.Blocks)
	}
	return out
}
