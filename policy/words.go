package policy

import (
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// vocab numbers the words of a policy's mentions() phrases. A text is
// split into words once per evaluation and each word looked up once; every
// mentions() call then compares small integers. It is filled while the
// policy loads and only read afterwards.
// Its table is open addressing with linear probing, cheaper than a Go map
// for the one lookup per word of every ticket.
type vocab struct {
	words []string
	table []int32 // id+1 per slot, 0 empty; len is a power of two
}

func newVocab() *vocab { return &vocab{table: make([]int32, 64)} }

func (v *vocab) add(w string) int32 {
	if id := v.lookup([]byte(w)); id >= 0 {
		return id
	}
	if 2*(len(v.words)+1) > len(v.table) {
		v.table = make([]int32, 2*len(v.table))
		for i, old := range v.words {
			v.insert(old, int32(i))
		}
	}
	id := int32(len(v.words))
	v.words = append(v.words, w)
	v.insert(w, id)
	return id
}

func (v *vocab) insert(w string, id int32) {
	mask := uint32(len(v.table) - 1)
	for i := wordHash([]byte(w)) & mask; ; i = (i + 1) & mask {
		if v.table[i] == 0 {
			v.table[i] = id + 1
			return
		}
	}
}

// lookup returns w's id, or -1.
func (v *vocab) lookup(w []byte) int32 {
	mask := uint32(len(v.table) - 1)
	for i := wordHash(w) & mask; ; i = (i + 1) & mask {
		id := v.table[i] - 1
		if id < 0 || v.words[id] == string(w) {
			return id
		}
	}
}

// wordHash is FNV-1a.
func wordHash(w []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range w {
		h = (h ^ uint32(c)) * 16777619
	}
	return h
}

// view splits s into words and numbers them; words no phrase uses are -1.
func (v *vocab) view(s string) textView {
	return v.viewInto(s, make([]token, 0, len(s)/4+1))
}

// viewInto is view appending to toks.
func (v *vocab) viewInto(s string, toks []token) textView {
	sc := newWordScanner(s)
	var buf [64]byte
	for {
		w, start, end, ok := sc.next(buf[:0])
		if !ok {
			return textView{s: s, toks: toks}
		}
		toks = append(toks, token{id: v.lookup(w), start: int32(start), end: int32(end), joined: sc.joined})
	}
}

// textView is a text as a list of numbered words, and the positions where
// regular expressions' \b starts a word.
type textView struct {
	s      string
	toks   []token
	starts []int32
}

type token struct {
	id         int32 // vocab id; -1 when no phrase uses the word
	start, end int32 // byte range in the text
	joined     bool  // only joiners (see onlyJoiners) since the previous word
}

// mentionSet is one compiled mentions() list.
type mentionSet struct {
	words   *vocab
	phrases [][]int32 // word ids of each phrase and of each phrase written as one word
	first   []uint64  // bit set of the ids phrases start with
}

// newMentionSet compiles phrases against words, adding their words to it.
// A phrase is one or more words separated by joiners (spaces, dashes,
// underscores, apostrophes); other punctuation, which could never match as
// written, is an error.
func newMentionSet(words *vocab, phrases []string) (*mentionSet, error) {
	if len(phrases) == 0 {
		return nil, fmt.Errorf("mentions: the list is empty, so it never matches")
	}
	m := &mentionSet{words: words}
	for _, p := range phrases {
		ws, err := phraseWords(p)
		if err != nil {
			return nil, err
		}
		ids := make([]int32, len(ws))
		joined := ""
		for i, w := range ws {
			ids[i] = words.add(w)
			joined += w
		}
		m.addPhrase(ids)
		if len(ws) > 1 {
			m.addPhrase([]int32{words.add(joined)})
		}
	}
	return m, nil
}

func (m *mentionSet) addPhrase(ids []int32) {
	m.phrases = append(m.phrases, ids)
	for int(ids[0]>>6) >= len(m.first) {
		m.first = append(m.first, 0)
	}
	m.first[ids[0]>>6] |= 1 << (ids[0] & 63)
}

// phraseWords splits a phrase into its lower-case words.
func phraseWords(p string) ([]string, error) {
	var ws []string
	prev, bad := 0, false
	for sc := newWordScanner(p); ; {
		w, start, end, ok := sc.next(nil)
		if !ok {
			break
		}
		bad = bad || !onlyJoiners(p[prev:start])
		ws, prev = append(ws, string(w)), end
	}
	if bad || !onlyJoiners(p[prev:]) {
		return nil, fmt.Errorf("mentions: %s: write words separated by spaces, dashes, underscores or apostrophes (use matches() for patterns)", strconv.Quote(p))
	}
	if len(ws) == 0 {
		return nil, fmt.Errorf("mentions: %s has no words", strconv.Quote(p))
	}
	return ws, nil
}

// find returns the byte range of the leftmost phrase in v (the longest
// when several start at the same word).
func (m *mentionSet) find(v *textView) (start, end int, ok bool) {
	for i, t := range v.toks {
		if t.id < 0 || int(t.id>>6) >= len(m.first) || m.first[t.id>>6]&(1<<(t.id&63)) == 0 {
			continue
		}
		best := 0
		for _, p := range m.phrases {
			if len(p) > best && v.matchAt(i, p) {
				best = len(p)
			}
		}
		if best > 0 {
			return int(t.start), int(v.toks[i+best-1].end), true
		}
	}
	return 0, 0, false
}

func (v *textView) matchAt(i int, ids []int32) bool {
	if i+len(ids) > len(v.toks) {
		return false
	}
	for k, id := range ids {
		t := &v.toks[i+k]
		if t.id != id || k > 0 && !t.joined {
			return false
		}
	}
	return true
}

// wordScanner splits a text into words: runs of letters, digits and
// marks, lower-cased. It lives on the caller's stack.
type wordScanner struct {
	s      string
	i      int
	joined bool // only joiners (see onlyJoiners) since the previous word
}

func newWordScanner(s string) wordScanner { return wordScanner{s: s} }

// next appends the next word, lower-cased, to buf and returns it with its
// byte range.
func (sc *wordScanner) next(buf []byte) (w []byte, start, end int, ok bool) {
	s, i := sc.s, sc.i
	sc.joined = i > 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if isWordByte(c) {
				break
			}
			sc.joined = sc.joined && isJoinerRune(rune(c))
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if isWordRune(r) {
			break
		}
		sc.joined = sc.joined && isJoinerRune(r)
		i += size
	}
	if i == len(s) {
		sc.i = i
		return buf, 0, 0, false
	}
	start, w = i, buf
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if !isWordByte(c) {
				break
			}
			w = append(w, lowerByte(c))
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isWordRune(r) {
			break
		}
		w = utf8.AppendRune(w, unicode.ToLower(r))
		i += size
	}
	sc.i = i
	return w, start, i, true
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return isWordByte(byte(r))
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// onlyJoiners reports whether gap holds only joiners: spaces, dashes,
// underscores and apostrophes, what may separate the words of a phrase.
// Line breaks do not join, so a phrase never spans the summary and the
// description.
func onlyJoiners(gap string) bool {
	for _, r := range gap {
		if !isJoinerRune(r) {
			return false
		}
	}
	return true
}

func isJoinerRune(r rune) bool {
	switch r {
	case ' ', '-', '_', '\'', '\t', '\u2019':
		return true
	case '\n', '\r', '\v', '\f', '\u0085', '\u2028', '\u2029':
		return false
	}
	return r >= utf8.RuneSelf && unicode.IsSpace(r)
}
