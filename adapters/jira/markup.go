package jira

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"
)

// The bridge marks its comments with a token on the last line:
//
//	⟦accessbridge evidence <hash>⟧        the one evidence comment (hash of the body)
//	⟦accessbridge reply <digest> <hash>⟧  a reply, idempotent per digest and body
//
// The brackets are U+27E6/U+27E7: not wiki-markup syntax (unlike [ ]),
// unlikely to be typed by a person, and kept verbatim when Jira converts
// ADF to wiki text. In DC the token is greyed with {color}; in ADF with a
// textColor mark.
const (
	markerOpen  = "⟦accessbridge"
	markerClose = "⟧"
	markerColor = "#97a0af"
)

func evidenceMarker(body string) string {
	return markerOpen + " evidence " + shortHash(body) + markerClose
}

func replyMarker(digest, body string) string {
	return markerOpen + " reply " + strings.ReplaceAll(digest, " ", "") + " " + shortHash(body) + markerClose
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:6])
}

// findMarker returns the marker token in a comment body, "" when none.
func findMarker(body string) string {
	i := strings.Index(body, markerOpen)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], markerClose)
	if j < 0 {
		return ""
	}
	return body[i : i+j+len(markerClose)]
}

func isEvidenceMarker(tok string) bool { return strings.HasPrefix(tok, markerOpen+" evidence ") }

var (
	mdLink   = regexp.MustCompile(`\[([^\]]+)\]\((https?://[^)\s]+)\)`)
	mdBold   = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	inlineRe = regexp.MustCompile(`\[([^\]]+)\]\((https?://[^)\s]+)\)|\*\*([^*]+)\*\*|https?://[^\s)\]|]+`)
)

// wikiBody renders the pipeline's markdown-ish lines as Jira wiki markup:
// "- x" bullets, **bold**, [text](url) links; braces are escaped so
// nothing becomes a macro.
func wikiBody(body, marker string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		line = strings.NewReplacer("{", `\{`, "}", `\}`).Replace(line)
		if rest, ok := bullet(line); ok {
			line = "* " + rest
		}
		line = mdLink.ReplaceAllString(line, "[$1|$2]")
		line = mdBold.ReplaceAllString(line, "*$1*")
		b.WriteString(line)
		b.WriteByte('\n')
	}
	b.WriteString("{color:" + markerColor + "}" + marker + "{color}")
	return b.String()
}

func bullet(line string) (string, bool) {
	t := strings.TrimLeft(line, " ")
	for _, p := range []string{"- ", "* ", "• "} {
		if rest, ok := strings.CutPrefix(t, p); ok {
			return rest, true
		}
	}
	return "", false
}

type adfNode struct {
	Type    string         `json:"type"`
	Text    string         `json:"text,omitempty"`
	Attrs   map[string]any `json:"attrs,omitempty"`
	Marks   []adfMark      `json:"marks,omitempty"`
	Content []adfNode      `json:"content,omitempty"`
	Version int            `json:"version,omitempty"`
}

type adfMark struct {
	Type  string         `json:"type"`
	Attrs map[string]any `json:"attrs,omitempty"`
}

// adfBody renders the same lines as an ADF document for Cloud (v3):
// paragraphs, bullet lists, strong and link marks, and the grey marker.
func adfBody(body, marker string) json.RawMessage {
	doc := adfNode{Type: "doc", Version: 1}
	var list *adfNode
	flush := func() {
		if list != nil {
			doc.Content = append(doc.Content, *list)
			list = nil
		}
	}
	for _, line := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		if rest, ok := bullet(line); ok {
			if list == nil {
				list = &adfNode{Type: "bulletList"}
			}
			item := adfNode{Type: "listItem", Content: []adfNode{{Type: "paragraph", Content: inlineADF(rest)}}}
			list.Content = append(list.Content, item)
			continue
		}
		flush()
		if strings.TrimSpace(line) == "" {
			continue
		}
		doc.Content = append(doc.Content, adfNode{Type: "paragraph", Content: inlineADF(line)})
	}
	flush()
	doc.Content = append(doc.Content, adfNode{Type: "paragraph", Content: []adfNode{{
		Type: "text", Text: marker, Marks: []adfMark{{Type: "textColor", Attrs: map[string]any{"color": markerColor}}},
	}}})
	b, _ := json.Marshal(doc)
	return b
}

// inlineADF splits a line into text nodes with strong and link marks.
func inlineADF(line string) []adfNode {
	var out []adfNode
	last := 0
	for _, m := range inlineRe.FindAllStringSubmatchIndex(line, -1) {
		if m[0] > last {
			out = append(out, adfNode{Type: "text", Text: line[last:m[0]]})
		}
		switch {
		case m[2] >= 0: // [text](url)
			out = append(out, adfNode{Type: "text", Text: line[m[2]:m[3]], Marks: []adfMark{linkMark(line[m[4]:m[5]])}})
		case m[6] >= 0: // **bold**
			out = append(out, adfNode{Type: "text", Text: line[m[6]:m[7]], Marks: []adfMark{{Type: "strong"}}})
		default: // bare URL
			u := line[m[0]:m[1]]
			out = append(out, adfNode{Type: "text", Text: u, Marks: []adfMark{linkMark(u)}})
		}
		last = m[1]
	}
	if last < len(line) {
		out = append(out, adfNode{Type: "text", Text: line[last:]})
	}
	return out
}

func linkMark(href string) adfMark { return adfMark{Type: "link", Attrs: map[string]any{"href": href}} }

// adfText flattens an ADF document to plain text: one line per block,
// "* " before list items, link targets kept.
func adfText(raw []byte) (string, error) {
	var n adfNode
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", err
	}
	var b strings.Builder
	writeADF(&b, n, "")
	return strings.TrimRight(b.String(), "\n"), nil
}

func writeADF(b *strings.Builder, n adfNode, prefix string) {
	switch n.Type {
	case "text":
		b.WriteString(n.Text)
		for _, m := range n.Marks {
			if href, _ := m.Attrs["href"].(string); m.Type == "link" && href != "" && href != n.Text {
				b.WriteString(" (" + href + ")")
			}
		}
	case "hardBreak":
		b.WriteByte('\n')
	case "mention":
		if t, _ := n.Attrs["text"].(string); t != "" {
			b.WriteString(t)
		}
	case "bulletList", "orderedList":
		for _, c := range n.Content {
			writeADF(b, c, "* ")
		}
	case "listItem":
		b.WriteString(prefix)
		for _, c := range n.Content {
			for _, cc := range c.Content {
				writeADF(b, cc, "")
			}
		}
		b.WriteByte('\n')
	default:
		for _, c := range n.Content {
			writeADF(b, c, prefix)
		}
		if n.Type != "doc" {
			b.WriteByte('\n')
		}
	}
}

// parseErrorBody reads Jira's {"errorMessages":[…],"errors":{…}}.
func parseErrorBody(b []byte) string {
	var e struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
	}
	if json.Unmarshal(b, &e) != nil {
		return ""
	}
	parts := e.ErrorMessages
	for k, v := range e.Errors {
		parts = append(parts, k+": "+v)
	}
	return strings.Join(parts, "; ")
}
