package policy

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// maxDuration bounds every duration the policy accepts (100 years), so sums
// and now+d never overflow.
const maxDuration = 100 * 365 * 24 * time.Hour

var durationUnits = map[string]time.Duration{
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"w": 7 * 24 * time.Hour, "wk": 7 * 24 * time.Hour, "wks": 7 * 24 * time.Hour,
	"week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
}

// ParseDuration reads durations as people write them in policies and
// tickets: Go syntax ("8h", "90m", "1h30m"), days and weeks ("7d", "2w"),
// words ("3 days", "1 week", "12 hours", "a day") and sums ("1d 12h").
// Negative durations and durations over 100 years are rejected.
func ParseDuration(s string) (time.Duration, error) {
	in := strings.ToLower(strings.TrimSpace(s))
	if in == "" {
		return 0, errors.New("empty duration")
	}
	if !goSyntax(in) {
		// not Go syntax: skip time.ParseDuration and its error allocation
	} else if d, err := time.ParseDuration(in); err == nil {
		if d < 0 || d > maxDuration {
			return 0, fmt.Errorf("duration %q out of range (0 to 100 years)", s)
		}
		return d, nil
	}
	d, err := parseWords(in)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q: %w (want e.g. 8h, 90m, 7d, 2w, \"3 days\")", s, err)
	}
	return d, nil
}

// parseWords sums "<number> <unit>" pairs, with optional spaces, commas and "and".
func parseWords(s string) (time.Duration, error) {
	var total float64
	rest := s
	pairs := 0
	for {
		rest = strings.TrimLeft(rest, " \t,")
		rest = strings.TrimPrefix(rest, "and ")
		if rest == "" {
			break
		}
		n, after, err := leadingNumber(rest)
		if err != nil {
			return 0, err
		}
		after = strings.TrimLeft(after, " \t")
		unit, next := leadingWord(after)
		u, ok := durationUnits[unit]
		if !ok {
			return 0, fmt.Errorf("unknown unit %q", unit)
		}
		total += n * float64(u)
		if total > float64(maxDuration) {
			return 0, errors.New("out of range (over 100 years)")
		}
		rest = next
		pairs++
	}
	if pairs == 0 {
		return 0, errors.New("no amount")
	}
	return time.Duration(math.Round(total)), nil
}

func leadingNumber(s string) (float64, string, error) {
	for _, w := range []string{"an ", "a ", "one "} {
		if strings.HasPrefix(s, w) {
			return 1, s[len(w):], nil
		}
	}
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	if i == 0 {
		return 0, s, errors.New("missing number")
	}
	n, err := strconv.ParseFloat(s[:i], 64)
	if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, s, fmt.Errorf("bad number %q", s[:i])
	}
	return n, s[i:], nil
}

func leadingWord(s string) (string, string) {
	i := 0
	for i < len(s) && s[i] >= 'a' && s[i] <= 'z' {
		i++
	}
	return s[:i], s[i:]
}

// formatDuration prints whole days and hours the way policies write them.
func formatDuration(d time.Duration) string {
	switch {
	case d > 0 && d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d > 0 && d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d > 0 && d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return d.String()
}

// goSyntax reports whether s could be a time.ParseDuration string.
func goSyntax(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c == '.', c == 'h', c == 'm', c == 's', c == 'u', c == 'n':
		default:
			return false
		}
	}
	return true
}
