package policy

import (
	"regexp"
	"slices"
	"testing"
)

var litPatterns = []string{
	`(?i)\bfor\s+(?:the\s+next\s+|about\s+|around\s+|like\s+|~)?(?P<duration>(?:\d+(?:\.\d+)?|an?|one)\s*(?:h|hrs?|hours?|d|days?|w|wks?|weeks?))\b`,
	`(?i)\b(?P<subject>svc-[a-z0-9][a-z0-9-]*)\b`,
	`(?i)\b(?:for|of|reset|unlock|offboard|offboarding|remove|revoke|deprovision)\s+@?(?P<subject>[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*(?:@example\.com)?)\b`,
	`(?i)\b(?P<role>read[\s-]?only)\b`,
	`(?i)\b(can'?t|cannot|unable to|not able to)\s+(access|log\s?in|login|sign\s?in)\b`,
	`(?i)\b(make me|need|want|requesting)\b.{0,30}\b(maintainer|member|viewer|editor|admin)\b`,
	`(?i)\bsvc-[a-z0-9-]+\b`,
	`Admin`,           // case-sensitive literal
	`(?i)sk`,          // folds onto ſ and K
	`\b-x`,            // \b before a non-word byte: no prefilter
	`(?m)^reset`,      // line anchor: no prefilter
	`quorum|same|rt`,  // alternation without \b
	`(admin)+ rights`, // repetition of a literal
	`x*y`,             // may start anywhere: no prefilter
}

var litTexts = []string{
	"", "can i get write access to the prod db for 3 days?",
	"FOR 2 Hours please; reset bob.smith now", "need to be ADMIN on github (maintainer)",
	"svc-billing, SVC-x-y and xsvc-no", "reſet ſvc-a Kelvin K-sk", "a-x b -x _x\nreset me",
	"I can't login; unable to sign in", "adminadmin rights, Admin", "read-only READ ONLY readonly",
	"same quorum rt", "\xff\xfe for 1d", "für 3 tage, for ~3 weeks",
}

func TestLitRegexpAgreesWithRegexp(t *testing.T) {
	for _, pat := range litPatterns {
		lr, err := compileLitRegexp(pat)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range litTexts {
			checkLitRegexp(t, lr, s)
		}
	}
}

func checkLitRegexp(t *testing.T, lr *litRegexp, s string) {
	t.Helper()
	re := lr.Regexp
	if got, want := lr.MatchString(s), re.MatchString(s); got != want {
		t.Errorf("%q.MatchString(%q) = %v, want %v", re, s, got, want)
	}
	if got, want := lr.FindStringSubmatchIndex(s), re.FindStringSubmatchIndex(s); !slices.Equal(got, want) {
		t.Errorf("%q.FindStringSubmatchIndex(%q) = %v, want %v", re, s, got, want)
	}
	start, end, ok := lr.findIn(s, nil)
	if s2, e2, ok2 := lr.findIn(s, wordStarts(s, nil)); s2 != start || e2 != end || ok2 != ok {
		t.Errorf("%q.findIn(%q) with word starts = %d, %d, %v, without %d, %d, %v", re, s, s2, e2, ok2, start, end, ok)
	}
	if got := lr.matchIn(s, wordStarts(s, nil)); got != re.MatchString(s) {
		t.Errorf("%q.matchIn(%q) with word starts = %v", re, s, got)
	}
	want := re.FindStringIndex(s)
	if ok != (want != nil) || ok && (start != want[0] || end != want[1]) {
		t.Errorf("%q.find(%q) = %d, %d, %v, want %v", re, s, start, end, ok, want)
	}
}

// TestExamplePatternsArePrefiltered guards the speed of the example
// policy: each of its regular expressions has leading literals.
func TestExamplePatternsArePrefiltered(t *testing.T) {
	p, err := Load("../examples/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var all []*litRegexp
	for _, pat := range p.extract.patterns {
		all = append(all, pat.re)
	}
	for _, r := range p.classify {
		for _, m := range r.when.matchers {
			if m.re != nil {
				all = append(all, m.re)
			}
		}
	}
	if len(all) < 8 {
		t.Fatalf("found %d patterns, want the example's 8", len(all))
	}
	for _, r := range all {
		if r.anchored == nil {
			t.Errorf("%q has no literal prefilter", r.Regexp)
		}
	}
}

func FuzzLitRegexp(f *testing.F) {
	for i, s := range litTexts {
		f.Add(litPatterns[i%len(litPatterns)], s)
	}
	f.Fuzz(func(t *testing.T, pat, s string) {
		if _, err := regexp.Compile(pat); err != nil {
			return
		}
		lr, err := compileLitRegexp(pat)
		if err != nil {
			t.Fatalf("compileLitRegexp(%q): %v", pat, err)
		}
		checkLitRegexp(t, lr, s)
	})
}
