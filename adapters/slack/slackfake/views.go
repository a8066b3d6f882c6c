package slackfake

import (
	"encoding/json"
	"fmt"
)

// View is an opened modal as it reads now.
type View struct {
	ID              string
	TriggerID       string
	ExternalID      string
	Hash            string
	CallbackID      string
	PrivateMetadata string
	Title           string
	Blocks          []Block
	Raw             json.RawMessage
	Versions        int
}

// Block returns the view's block with blockID.
func (v View) Block(blockID string) (Block, bool) {
	for _, b := range v.Blocks {
		if b.BlockID == blockID {
			return b, true
		}
	}
	return Block{}, false
}

type modal struct {
	Type            string          `json:"type"`
	Title           textObj         `json:"title"`
	Blocks          json.RawMessage `json:"blocks"`
	CallbackID      string          `json:"callback_id"`
	PrivateMetadata string          `json:"private_metadata"`
	ExternalID      string          `json:"external_id"`
}

func (s *Server) viewsOpen(a args) (map[string]any, string) {
	if a.str("trigger_id") == "" {
		return nil, "invalid_arguments"
	}
	v := &View{TriggerID: a.str("trigger_id")}
	if code := v.apply(a); code != "" {
		return nil, code
	}
	v.ID = fmt.Sprintf("V%07d", s.nextID())
	s.views = append(s.views, v)
	return map[string]any{"view": v.json()}, ""
}

func (s *Server) viewsUpdate(a args) (map[string]any, string) {
	v := s.findView(a.str("view_id"), a.str("external_id"))
	if v == nil {
		return nil, "not_found"
	}
	if h := a.str("hash"); h != "" && h != v.Hash {
		return nil, "hash_conflict"
	}
	next := *v
	if code := next.apply(a); code != "" {
		return nil, code
	}
	*v = next
	return map[string]any{"view": v.json()}, ""
}

func (s *Server) findView(id, external string) *View {
	for _, v := range s.views {
		if (id != "" && v.ID == id) || (external != "" && v.ExternalID == external) {
			return v
		}
	}
	return nil
}

// apply validates the view argument and stores it with a new hash.
func (v *View) apply(a args) string {
	raw, ok := a.raw("view")
	if !ok {
		return "invalid_arguments"
	}
	var m modal
	if json.Unmarshal(raw, &m) != nil || m.Type != "modal" || m.Title.Text == "" {
		return "invalid_arguments"
	}
	bs, valid := parseBlocks(m.Blocks)
	if !valid {
		return "invalid_blocks"
	}
	v.Blocks, v.Raw, v.Title = bs, raw, m.Title.Text
	v.CallbackID, v.PrivateMetadata = m.CallbackID, m.PrivateMetadata
	if m.ExternalID != "" {
		v.ExternalID = m.ExternalID
	}
	v.Versions++
	v.Hash = fmt.Sprintf("h%d-%d", v.Versions, len(raw))
	return ""
}

func (v *View) json() map[string]any {
	return map[string]any{"id": v.ID, "type": "modal", "hash": v.Hash, "callback_id": v.CallbackID,
		"private_metadata": v.PrivateMetadata, "external_id": v.ExternalID,
		"blocks": json.RawMessage(blocksOf(v.Raw)), "title": map[string]any{"type": "plain_text", "text": v.Title}}
}

func blocksOf(raw json.RawMessage) json.RawMessage {
	var m modal
	_ = json.Unmarshal(raw, &m)
	if len(m.Blocks) == 0 {
		return json.RawMessage("[]")
	}
	return m.Blocks
}
