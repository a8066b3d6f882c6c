package policy

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// mentionsReference is mentions() for ASCII text as regular expressions:
// the words separated by joiners, or written together, between non-word
// bytes.
func mentionsReference(words []string, text string) bool {
	const edgeL, edgeR = `(?:^|[^a-zA-Z0-9])`, `(?:[^a-zA-Z0-9]|$)`
	pats := []string{edgeL + strings.Join(words, `[ \t\-_']+`) + edgeR}
	if len(words) > 1 {
		pats = append(pats, edgeL+strings.Join(words, "")+edgeR)
	}
	for _, p := range pats {
		if regexp.MustCompile(`(?i)` + p).MatchString(text) {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func FuzzMentions(f *testing.F) {
	for _, c := range [][2]string{
		{"super user", "make me SUPER-USER now"}, {"can't", "I cant log in"}, {"api key", "rotate the api\nkey"},
		{"sev 1", "SEV1 outage"}, {"admin", "sysadmin admin's"}, {"two factor", "Two_Factor reset"},
		{"zugriff für", "ZUGRIFF FÜR prod"}, {"c++", "c++"}, {"", "x"}, {"a b", "a\u00a0b a\u2028b"},
	} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, phrase, text string) {
		words := newVocab()
		set, err := newMentionSet(words, []string{phrase})
		ws, wordsErr := phraseWords(phrase)
		if (err == nil) != (wordsErr == nil) {
			t.Fatalf("newMentionSet error %v, phraseWords error %v", err, wordsErr)
		}
		if err != nil {
			return
		}
		v := words.view(text)
		start, end, found := set.find(&v)
		if found && (start < 0 || end > len(text) || start >= end) {
			t.Fatalf("find = %d, %d in a text of %d bytes", start, end, len(text))
		}
		if isASCII(phrase) && isASCII(text) && found != mentionsReference(ws, text) {
			t.Fatalf("mentions(%q) in %q = %v, reference says %v", phrase, text, found, !found)
		}
	})
}
