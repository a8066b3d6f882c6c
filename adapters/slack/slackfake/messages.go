package slackfake

import (
	"encoding/json"
	"strings"
)

// Message is a message as it currently reads in its channel: updates
// replace it in place and bump Versions.
type Message struct {
	Channel   string
	TS        string
	ThreadTS  string
	Text      string
	Blocks    []Block
	RawBlocks json.RawMessage
	Versions  int
}

// Block is a parsed Block Kit block: its visible text and interactive parts.
type Block struct {
	Type    string
	BlockID string
	Texts   []string // header/section/context text and section fields, in order
	Buttons []Button
	Options []Option // options of a select element (input or actions blocks)
	Label   string   // input block label
}

// Button is one button element.
type Button struct {
	ActionID string
	BlockID  string
	Text     string
	Value    string
	Style    string
	URL      string
}

// Option is one option of a select.
type Option struct {
	Text  string
	Value string
	Group string // option_groups label, if any
}

// User is a workspace member in the fake's registry.
type User struct {
	ID       string
	TeamID   string
	Name     string
	RealName string
	Email    string
	Deleted  bool
	IsBot    bool
}

// Ephemeral is a chat.postEphemeral message.
type Ephemeral struct {
	Channel string
	User    string
	TS      string
	Text    string
	Blocks  []Block
}

// Buttons returns every button of m in order.
func (m Message) Buttons() []Button { return buttons(m.Blocks) }

// Button finds the button with actionID.
func (m Message) Button(actionID string) (Button, bool) {
	for _, b := range m.Buttons() {
		if b.ActionID == actionID {
			return b, true
		}
	}
	return Button{}, false
}

// AllText is the fallback text and every block's text, newline-joined:
// what a person reading the message would see.
func (m Message) AllText() string { return allText(m.Text, m.Blocks) }

// AllText of an ephemeral message.
func (e Ephemeral) AllText() string { return allText(e.Text, e.Blocks) }

func buttons(bs []Block) []Button {
	var out []Button
	for _, b := range bs {
		out = append(out, b.Buttons...)
	}
	return out
}

func allText(text string, bs []Block) string {
	parts := []string{text}
	for _, b := range bs {
		parts = append(parts, b.Label)
		parts = append(parts, b.Texts...)
		for _, btn := range b.Buttons {
			parts = append(parts, btn.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// parseBlocks checks that raw is a JSON array of objects that each have a
// type, as Slack does (invalid_blocks otherwise), and extracts what tests read.
func parseBlocks(raw json.RawMessage) ([]Block, bool) {
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, false
	}
	out := make([]Block, 0, len(items))
	for _, it := range items {
		var b Block
		if json.Unmarshal(it["type"], &b.Type) != nil || b.Type == "" {
			return nil, false
		}
		_ = json.Unmarshal(it["block_id"], &b.BlockID)
		b.fill(it)
		out = append(out, b)
	}
	return out, true
}

// element is the subset of a Block Kit element or text object we read.
type element struct {
	Type         string          `json:"type"`
	Text         json.RawMessage `json:"text"`
	ActionID     string          `json:"action_id"`
	Value        string          `json:"value"`
	Style        string          `json:"style"`
	URL          string          `json:"url"`
	Options      []rawOption     `json:"options"`
	OptionGroups []struct {
		Label   textObj     `json:"label"`
		Options []rawOption `json:"options"`
	} `json:"option_groups"`
}

type textObj struct {
	Text string `json:"text"`
}

type rawOption struct {
	Text  textObj `json:"text"`
	Value string  `json:"value"`
}

func (b *Block) fill(it map[string]json.RawMessage) {
	if t := textOf(it["text"]); t != "" {
		b.Texts = append(b.Texts, t)
	}
	var fields []textObj
	_ = json.Unmarshal(it["fields"], &fields)
	for _, f := range fields {
		b.Texts = append(b.Texts, f.Text)
	}
	b.Label = textOf(it["label"])
	var els []element
	_ = json.Unmarshal(it["elements"], &els)
	for _, key := range []string{"accessory", "element"} {
		var e element
		if json.Unmarshal(it[key], &e) == nil && e.Type != "" {
			els = append(els, e)
		}
	}
	for _, e := range els {
		b.addElement(e)
	}
}

func (b *Block) addElement(e element) {
	switch {
	case e.Type == "button":
		b.Buttons = append(b.Buttons, Button{ActionID: e.ActionID, BlockID: b.BlockID,
			Text: textOf(e.Text), Value: e.Value, Style: e.Style, URL: e.URL})
	case strings.HasSuffix(e.Type, "_select"):
		for _, o := range e.Options {
			b.Options = append(b.Options, Option{Text: o.Text.Text, Value: o.Value})
		}
		for _, g := range e.OptionGroups {
			for _, o := range g.Options {
				b.Options = append(b.Options, Option{Text: o.Text.Text, Value: o.Value, Group: g.Label.Text})
			}
		}
	default: // context elements are text objects
		if t := textOf(e.Text); t != "" {
			b.Texts = append(b.Texts, t)
		}
	}
}

// textOf reads a text object ({"type":…,"text":…}) or a bare string.
func textOf(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var t textObj
	if json.Unmarshal(raw, &t) == nil {
		return t.Text
	}
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}
