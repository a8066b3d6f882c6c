package policy

import "strings"

// phraseIndex finds catalog names in free text without regular
// expressions: a phrase is one or more whole words joined by spaces,
// dashes or underscores, compared with separators removed and case folded,
// so "Prod DB", "prod-db" and "proddb" all find the alias "prod db".
type phraseIndex struct {
	keys      map[string]int // squashed phrase → value; every shorter prefix → notKey
	maxTokens int
	pairs     [pairWords]uint64 // bit set of the keys' first two bytes
}

// Pairs of lower-case letters and digits, for a filter that skips most
// words of a text without a map lookup.
const (
	alnum     = 36
	pairWords = (alnum*alnum + 63) / 64
)

func alnumIndex(c byte) int {
	if c >= 'a' && c <= 'z' {
		return int(c - 'a')
	}
	if c >= '0' && c <= '9' {
		return 26 + int(c-'0')
	}
	return -1
}

// mayStart reports whether a word beginning with a, b (lower case) can
// begin a key.
func (x *phraseIndex) mayStart(a, b byte) bool {
	i, j := alnumIndex(a), alnumIndex(b)
	if i < 0 || j < 0 {
		return true
	}
	n := i*alnum + j
	return x.pairs[n/64]&(1<<(n%64)) != 0
}

// notKey marks a prefix of a key, so find stops extending a candidate as
// soon as no key can start with it.
const notKey = -1

func (x *phraseIndex) add(phrase string, v int) {
	if x.keys == nil {
		x.keys = map[string]int{}
	}
	k := squash(phrase)
	if k == "" {
		return
	}
	if old, seen := x.keys[k]; !seen || old == notKey {
		x.keys[k] = v
	}
	for i := 1; i < len(k); i++ {
		if _, seen := x.keys[k[:i]]; !seen {
			x.keys[k[:i]] = notKey
		}
	}
	if len(k) >= 2 {
		if i, j := alnumIndex(k[0]), alnumIndex(k[1]); i >= 0 && j >= 0 {
			n := i*alnum + j
			x.pairs[n/64] |= 1 << (n % 64)
		}
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
		if i+1 < len(text) && isWordByte(text[i+1]) && !x.mayStart(lowerByte(text[i]), lowerByte(text[i+1])) {
			for i < len(text) && isWordByte(text[i]) {
				i++
			}
			continue
		}
		buf, pos, best, bestEnd := arr[:0], i, -1, 0
		for t := 0; t < x.maxTokens; t++ {
			e := pos
			for e < len(text) && isWordByte(text[e]) {
				buf = append(buf, lowerByte(text[e]))
				e++
			}
			val, hit := x.keys[string(buf)]
			if !hit {
				break
			}
			if val != notKey {
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
