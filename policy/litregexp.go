package policy

import (
	"regexp"
	"regexp/syntax"
	"strings"
)

// litRegexp is a regular expression with a literal prefilter. A
// case-insensitive pattern such as (?i)\b(reset|unlock)\s+… gives Go's
// regexp no literal prefix to search for, so an unanchored search runs the
// whole pattern from every byte of the text. Most policy patterns must
// start with one of a few words, though: litRegexp finds those with a byte
// scan and runs an anchored copy of the pattern only there. Its results
// are exactly those of the plain regexp, which it falls back to whenever
// the pattern has no usable leading literals.
type litRegexp struct {
	*regexp.Regexp                // the pattern as written
	anchored       *regexp.Regexp // ^(?:pattern); nil: no prefilter
	lits           []string       // lower-case ASCII; every match starts with one, ignoring case
	first          [256]bool      // bytes a literal can start with, in either case
	wordStart      bool           // the pattern begins with \b
	folds          bool           // a case-folded literal has k or s (see needsFallback)
}

// maxLits bounds the prefilter; a pattern with more leading alternatives
// runs as written.
const maxLits = 32

func compileLitRegexp(src string) (*litRegexp, error) {
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, err
	}
	r := &litRegexp{Regexp: re}
	tree, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return r, nil
	}
	var ok bool
	if r.lits, r.wordStart, r.folds, ok = leadingLits(tree); !ok {
		r.lits = nil
		return r, nil
	}
	anchored, err := regexp.Compile(`^(?:` + src + `)`)
	if err != nil || anchored.NumSubexp() != re.NumSubexp() {
		r.lits = nil
		return r, nil
	}
	r.anchored = anchored
	for _, l := range r.lits {
		r.first[l[0]], r.first[upperByte(l[0])] = true, true
	}
	return r, nil
}

// MatchString reports whether s contains a match.
func (r *litRegexp) MatchString(s string) bool { return r.matchIn(s, nil) }

// FindStringSubmatchIndex returns the leftmost match and its groups, or nil.
func (r *litRegexp) FindStringSubmatchIndex(s string) []int { return r.submatchIn(s, nil) }

// The ...In methods take s's word starts (see wordStarts) when the caller
// has them, so patterns beginning with \b look only there; nil scans s.

func (r *litRegexp) matchIn(s string, starts []int32) bool {
	if r.needsFallback(s) {
		return r.Regexp.MatchString(s)
	}
	for c := r.candidates(s, starts); c.next(); {
		if r.anchored.MatchString(s[c.i:]) {
			return true
		}
	}
	return false
}

// findIn returns the leftmost match's byte range.
func (r *litRegexp) findIn(s string, starts []int32) (start, end int, ok bool) {
	if r.needsFallback(s) {
		if loc := r.Regexp.FindStringIndex(s); loc != nil {
			return loc[0], loc[1], true
		}
		return 0, 0, false
	}
	for c := r.candidates(s, starts); c.next(); {
		if loc := r.anchored.FindStringIndex(s[c.i:]); loc != nil {
			return c.i, c.i + loc[1], true
		}
	}
	return 0, 0, false
}

func (r *litRegexp) submatchIn(s string, starts []int32) []int {
	if r.needsFallback(s) {
		return r.Regexp.FindStringSubmatchIndex(s)
	}
	for c := r.candidates(s, starts); c.next(); {
		if loc := r.anchored.FindStringSubmatchIndex(s[c.i:]); loc != nil {
			return shift(loc, c.i)
		}
	}
	return nil
}

// needsFallback is true without a prefilter, and for text holding the two
// non-ASCII runes that (?i) folds onto ASCII letters: ſ (s) and K (k).
func (r *litRegexp) needsFallback(s string) bool {
	return r.anchored == nil ||
		r.folds && (strings.Contains(s, "\u017f") || strings.Contains(s, "\u212a"))
}

// candidateIter walks the positions where a match can start, in order.
type candidateIter struct {
	r      *litRegexp
	s      string
	starts []int32 // word starts to try, when the pattern begins with \b
	k      int     // next index into starts
	i      int     // current candidate; the scan resumes after it
}

func (r *litRegexp) candidates(s string, starts []int32) candidateIter {
	if !r.wordStart {
		starts = nil
	}
	return candidateIter{r: r, s: s, starts: starts, i: -1}
}

// next advances to the next candidate; false when there is none.
func (c *candidateIter) next() bool {
	r, s := c.r, c.s
	if c.starts != nil {
		for ; c.k < len(c.starts); c.k++ {
			if i := int(c.starts[c.k]); r.first[s[i]] && r.litAt(s, i) {
				c.i = i
				c.k++
				return true
			}
		}
		return false
	}
	for i := c.i + 1; i < len(s); i++ {
		if !r.first[s[i]] {
			continue
		}
		if r.wordStart && i > 0 && isRegexWordByte(s[i-1]) {
			// Inside a word: no match can start before its end.
			for i++; i < len(s) && isRegexWordByte(s[i]); i++ {
			}
			continue
		}
		if r.litAt(s, i) {
			c.i = i
			return true
		}
	}
	return false
}

func (r *litRegexp) litAt(s string, i int) bool {
	for _, l := range r.lits {
		if hasPrefixFold(s[i:], l) {
			return true
		}
	}
	return false
}

// wordStarts appends the positions of s where \b begins a word: a word
// byte ([0-9A-Za-z_]) after a non-word byte or at the start.
func wordStarts(s string, out []int32) []int32 {
	prev := false
	for i := 0; i < len(s); i++ {
		w := isRegexWordByte(s[i])
		if w && !prev {
			out = append(out, int32(i))
		}
		prev = w
	}
	return out
}

func shift(loc []int, by int) []int {
	for j, v := range loc {
		if v >= 0 {
			loc[j] = v + by
		}
	}
	return loc
}

// leadingLits finds the literals one of which starts every match, after an
// optional leading \b. With \b, each literal must begin with a word byte so
// that checking the byte before a candidate is all \b asks.
func leadingLits(re *syntax.Regexp) (lits []string, wordStart, folds, ok bool) {
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	if re.Op == syntax.OpConcat && len(re.Sub) > 1 && re.Sub[0].Op == syntax.OpWordBoundary {
		wordStart, re = true, re.Sub[1]
	}
	if !firstLits(re, &lits, &folds, 0) || len(lits) == 0 {
		return nil, false, false, false
	}
	for _, l := range lits {
		if wordStart && !isRegexWordByte(l[0]) {
			return nil, false, false, false
		}
	}
	return lits, wordStart, folds, true
}

// firstLits appends the literals re's matches start with; false when some
// match may start otherwise.
func firstLits(re *syntax.Regexp, lits *[]string, folds *bool, depth int) bool {
	if depth > 20 || len(*lits) > maxLits {
		return false
	}
	switch re.Op {
	case syntax.OpLiteral:
		return addLit(re, lits, folds)
	case syntax.OpCapture, syntax.OpPlus:
		return firstLits(re.Sub[0], lits, folds, depth+1)
	case syntax.OpConcat:
		return len(re.Sub) > 0 && firstLits(re.Sub[0], lits, folds, depth+1)
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			if !firstLits(sub, lits, folds, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

func addLit(re *syntax.Regexp, lits *[]string, folds *bool) bool {
	b := make([]byte, 0, len(re.Rune))
	for _, c := range re.Rune {
		if c >= 0x80 || c == 0 {
			return false
		}
		b = append(b, lowerByte(byte(c)))
	}
	if len(b) == 0 {
		return false
	}
	lit := string(b)
	if re.Flags&syntax.FoldCase != 0 && strings.ContainsAny(lit, "ks") {
		*folds = true
	}
	*lits = append(*lits, lit)
	return true
}

// hasPrefixFold reports whether s starts with lit (lower-case ASCII),
// ignoring ASCII case.
func hasPrefixFold(s, lit string) bool {
	if len(s) < len(lit) {
		return false
	}
	for i := 0; i < len(lit); i++ {
		if lowerByte(s[i]) != lit[i] {
			return false
		}
	}
	return true
}

// isRegexWordByte is \w of Go's regexp: what \b looks at.
func isRegexWordByte(c byte) bool { return isWordByte(c) || c == '_' }

func upperByte(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}
