package policy

import "strings"

// phraseIndex finds catalog names in free text without regular
// expressions: a phrase is one or more whole words joined by spaces,
// dashes or underscores, compared with separators removed and case folded,
// so "Prod DB", "prod-db" and "proddb" all find the alias "prod db".
type phraseIndex struct {
	keys      map[string]int // squashed phrase → value
	maxTokens int
}

func (x *phraseIndex) add(phrase string, v int) {
	if x.keys == nil {
		x.keys = map[string]int{}
	}
	k := squash(phrase)
	if k == "" {
		return
	}
	if _, dup := x.keys[k]; !dup {
		x.keys[k] = v
	}
	if n := len(strings.FieldsFunc(phrase, isSeparatorRune)); n > x.maxTokens {
		x.maxTokens = n
	}
}

func isSeparatorRune(r rune) bool { return r == ' ' || r == '-' || r == '_' || r == '\t' }

// find returns the value of the leftmost phrase in text (the longest one
// when several start at the same word) and its byte range.
func (x *phraseIndex) find(text string) (v, start, end int, ok bool) {
	if len(x.keys) == 0 {
		return 0, 0, 0, false
	}
	var arr [64]byte
	for i := 0; i < len(text); {
		if !isWordByte(text[i]) {
			i++
			continue
		}
		buf, pos, best, bestEnd := arr[:0], i, -1, 0
		for t := 0; t < x.maxTokens; t++ {
			e := pos
			for e < len(text) && isWordByte(text[e]) {
				buf = append(buf, lowerByte(text[e]))
				e++
			}
			if val, hit := x.keys[string(buf)]; hit {
				best, bestEnd = val, e
			}
			s := e
			for s < len(text) && isJoinByte(text[s]) {
				s++
			}
			if s == len(text) || !isWordByte(text[s]) {
				break
			}
			pos = s
		}
		if best >= 0 {
			return best, i, bestEnd, true
		}
		for i < len(text) && isWordByte(text[i]) {
			i++
		}
	}
	return 0, 0, 0, false
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isJoinByte(c byte) bool {
	switch c {
	case ' ', '-', '_', '\t', '\n', '\r':
		return true
	}
	return false
}

func lowerByte(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
