package directory

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// checkParse is what every reader must hold to: no panic; a file is
// either accepted whole with every person findable, or rejected with
// positioned problems naming the file.
func checkParse(t *testing.T, format string, data []byte) {
	f, err := Parse("in."+format, strings.NewReader(string(data)), format)
	if err != nil {
		var list Errors
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error %v (%T) is not a non-empty Errors", err, err)
		}
		for _, e := range list {
			if e.File != "in."+format || e.Line < 0 || e.Col < 0 {
				t.Fatalf("bad position in %q", e)
			}
		}
		return
	}
	for _, p := range f.All() {
		got, ok, _ := f.Person(strings.ToUpper(p.Email))
		if !ok || got.Email != p.Email || p.Email != strings.ToLower(p.Email) {
			t.Fatalf("person %q not found by email", p.Email)
		}
		if p.Manager != "" {
			if _, ok, _ := f.Person(p.Manager); !ok {
				t.Fatalf("dangling manager %q accepted", p.Manager)
			}
		}
	}
}

func seed(f *testing.F, texts ...string) {
	for _, s := range texts {
		f.Add([]byte(s))
	}
}

func FuzzParseCSV(f *testing.F) {
	seed(f, sampleCSV, hdr+boss, hdr+boss+"a@example.com,A \"x\",true,employee,,,,,,,,\n", "email\n", "")
	if b, err := os.ReadFile("../../examples/people.csv"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkParse(t, "csv", data) })
}

func FuzzParseJSON(f *testing.F) {
	seed(f, `[{"email": "a@example.com", "active": true, "employment_type": "employee", "groups": ["x"]}]`,
		`{"people": [{"email": "b@example.com", "active": "no", "employment_type": "token", "owner": "a@example.com", "rotation": "90d"}, {"email": "a@example.com", "active": true, "employment_type": "employee"}]}`,
		`[{"email": 1, "title": {"a": [1, {"b": null}]}}, [], "x"]`, `{"people": [], "x": {}}`, `[`, ``)
	f.Fuzz(func(t *testing.T, data []byte) { checkParse(t, "json", data) })
}

func FuzzParseYAML(f *testing.F) {
	seed(f, "- email: a@example.com\n  active: true\n  employment_type: employee\n  groups: [a, b]\n",
		"people:\n  - {email: a@example.com, active: yes, employment_type: intern, manager: b@example.com}\n  - {email: b@example.com, active: no, employment_type: employee}\n",
		"- &a {email: a@example.com}\n- *a\n", "people: x\nother: 1\n", "- [1, 2]\n", "{", "")
	f.Fuzz(func(t *testing.T, data []byte) { checkParse(t, "yaml", data) })
}
