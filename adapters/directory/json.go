package directory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
)

// readJSON accepts an array of person objects, or {"people": [...]}. It
// walks tokens rather than unmarshalling so each record and field keeps
// its line and column.
func readJSON(data []byte, p *problems) []record {
	jr := &jsonReader{data: data, dec: json.NewDecoder(bytes.NewReader(data)), lines: newLines(data), p: p}
	jr.dec.UseNumber()
	recs, err := jr.document()
	if err != nil {
		jr.syntax(err)
		p.truncated = true
	}
	return recs
}

type jsonReader struct {
	data  []byte
	dec   *json.Decoder
	lines lines
	p     *problems
	recs  []record
}

func (jr *jsonReader) document() ([]record, error) {
	at := jr.next()
	tok, err := jr.dec.Token()
	if errors.Is(err, io.EOF) {
		jr.p.add(pos{}, `empty file: want an array of people or {"people": [...]}`)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('['):
		err = jr.array()
	case json.Delim('{'):
		err = jr.wrapper(at)
	default:
		jr.p.add(at, `want an array of people or {"people": [...]}, got %s`, describe(tok))
		return nil, nil
	}
	if err != nil {
		return jr.recs, err
	}
	at = jr.next()
	if _, err := jr.dec.Token(); !errors.Is(err, io.EOF) {
		jr.p.add(at, "unexpected data after the people")
	}
	return jr.recs, nil
}

// wrapper reads {"people": [...]}; other keys are errors.
func (jr *jsonReader) wrapper(at pos) error {
	found := false
	for jr.dec.More() {
		keyAt := jr.next()
		key, err := jr.key()
		if err != nil {
			return err
		}
		if key != "people" || found {
			jr.p.add(keyAt, "unknown key %q (want only \"people\")", key)
			if err := jr.skip(); err != nil {
				return err
			}
			continue
		}
		found = true
		valAt := jr.next()
		tok, err := jr.dec.Token()
		if err != nil {
			return err
		}
		if tok != json.Delim('[') {
			jr.p.add(valAt, "people: want an array, got %s", describe(tok))
			if err := jr.skipRest(tok); err != nil {
				return err
			}
			continue
		}
		if err := jr.array(); err != nil {
			return err
		}
	}
	if !found {
		jr.p.add(at, `no "people" array`)
	}
	_, err := jr.dec.Token() // }
	return err
}

// array reads person objects up to and including the closing ].
func (jr *jsonReader) array() error {
	for jr.dec.More() {
		at := jr.next()
		tok, err := jr.dec.Token()
		if err != nil {
			return err
		}
		if tok != json.Delim('{') {
			jr.p.add(at, "person: want an object, got %s", describe(tok))
			if err := jr.skipRest(tok); err != nil {
				return err
			}
			continue
		}
		rec, err := jr.object(at)
		if err != nil {
			return err
		}
		jr.recs = append(jr.recs, rec)
	}
	_, err := jr.dec.Token() // ]
	return err
}

// object reads one person's fields after its opening {.
func (jr *jsonReader) object(at pos) (record, error) {
	rec := record{at: at}
	for jr.dec.More() {
		keyAt := jr.next()
		key, err := jr.key()
		if err != nil {
			return rec, err
		}
		f, err := jr.value(key, keyAt)
		if err != nil {
			return rec, err
		}
		rec.fields = append(rec.fields, f)
	}
	_, err := jr.dec.Token() // }
	return rec, err
}

// value reads a scalar or a list of strings.
func (jr *jsonReader) value(name string, at pos) (field, error) {
	f := field{name: name, at: at}
	tok, err := jr.dec.Token()
	if err != nil {
		return f, err
	}
	switch v := tok.(type) {
	case string:
		f.kind, f.value = kindString, v
	case bool:
		f.kind, f.value = kindBool, fmt.Sprint(v)
	case json.Number:
		f.kind, f.value = kindNumber, v.String()
	case nil:
		f.kind = kindNull
	case json.Delim:
		if v == '{' {
			f.kind = kindObject
			return f, jr.skipRest(tok)
		}
		f.kind = kindList
		return jr.list(f)
	}
	return f, nil
}

// list reads the strings of an array value after its [.
func (jr *jsonReader) list(f field) (field, error) {
	for jr.dec.More() {
		at := jr.next()
		tok, err := jr.dec.Token()
		if err != nil {
			return f, err
		}
		s, ok := tok.(string)
		if !ok {
			jr.p.add(at, "%s: want a list of strings, found %s", f.name, describe(tok))
			if err := jr.skipRest(tok); err != nil {
				return f, err
			}
			continue
		}
		f.list = append(f.list, s)
	}
	_, err := jr.dec.Token() // ]
	return f, err
}

func (jr *jsonReader) key() (string, error) {
	tok, err := jr.dec.Token()
	if err != nil {
		return "", err
	}
	key, _ := tok.(string) // inside an object the decoder only yields string keys
	return key, nil
}

// skip consumes one whole value.
func (jr *jsonReader) skip() error {
	tok, err := jr.dec.Token()
	if err != nil {
		return err
	}
	return jr.skipRest(tok)
}

// skipRest consumes the rest of a value whose first token was tok.
func (jr *jsonReader) skipRest(tok json.Token) error {
	depth := 0
	for {
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
		var err error
		if tok, err = jr.dec.Token(); err != nil {
			return err
		}
	}
}

// next is the position of the next token: the decoder's offset is the end
// of the previous one, so skip the separators between.
func (jr *jsonReader) next() pos {
	off := int(jr.dec.InputOffset())
	for off < len(jr.data) {
		switch jr.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return jr.lines.at(off)
}

// syntax reports a decoder error. The streaming decoder's offsets are not
// always absolute, so a syntax error is located again by a whole-input
// check, whose offset counts the bad byte itself.
func (jr *jsonReader) syntax(err error) {
	var se *json.SyntaxError
	if verr := json.Unmarshal(jr.data, new(json.RawMessage)); errors.As(verr, &se) {
		if se.Offset >= int64(len(jr.data)) {
			jr.p.add(jr.lines.at(len(jr.data)), "invalid JSON: unexpected end of file")
			return
		}
		jr.p.add(jr.lines.at(int(se.Offset)-1), "invalid JSON: %v", se)
		return
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		jr.p.add(jr.lines.at(len(jr.data)), "invalid JSON: unexpected end of file")
		return
	}
	jr.p.add(pos{}, "invalid JSON: %v", err)
}

func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' {
			return "an array"
		}
		return "an object"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

// lines converts byte offsets to 1-based line and column (in bytes).
type lines []int // offset at which each line starts

func newLines(data []byte) lines {
	l := lines{0}
	for i, b := range data {
		if b == '\n' {
			l = append(l, i+1)
		}
	}
	return l
}

func (l lines) at(off int) pos {
	off = max(off, 0)
	i := sort.Search(len(l), func(i int) bool { return l[i] > off }) - 1
	return pos{line: i + 1, col: off - l[i] + 1}
}
