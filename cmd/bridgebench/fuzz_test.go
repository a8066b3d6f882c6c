package main

import (
	"strings"
	"testing"
)

// FuzzEndpointOf: any request path the bridge sends is classified without
// panicking, and a key is only reported for issue paths.
func FuzzEndpointOf(f *testing.F) {
	for _, p := range []string{"/rest/api/2/issue/ACC-1", "/rest/api/3/issue/ACC-9/comment/1", "/rest/api/2/search", "/", "", "rest/api/x"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, path string) {
		ep, key := endpointOf(path)
		if key != "" && !strings.HasPrefix(ep, "issue/{key}") {
			t.Errorf("endpointOf(%q) = %q with key %q", path, ep, key)
		}
	})
}

// FuzzParsePeople: a directory file of any shape is read or refused
// without panicking.
func FuzzParsePeople(f *testing.F) {
	f.Add("email,active,employment_type,manager\na@example.com,true,employee,b@example.com\n")
	f.Add("email,active,employment_type,manager\nshort\n")
	f.Add("\"unterminated")
	f.Fuzz(func(t *testing.T, data string) {
		people, err := parsePeople(strings.NewReader(data))
		if err == nil && len(people) == 0 {
			t.Error("no error and no people")
		}
	})
}

func TestParsePeople(t *testing.T) {
	tests := []struct {
		name, csv string
		want      int
		ok        bool
	}{
		{"people", "email,active,employment_type,manager\nA@example.com,true,employee,m@example.com\nm@example.com,true,employee,\n", 2, true},
		{"missing column", "email,active\na@example.com,true\n", 0, false},
		{"header only", "email,active,employment_type,manager\n", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parsePeople(strings.NewReader(tc.csv))
			if (err == nil) != tc.ok || len(got) != tc.want {
				t.Fatalf("parsePeople = %d people, %v; want %d, ok=%v", len(got), err, tc.want, tc.ok)
			}
			if tc.ok && (got[0].Email != "a@example.com" || !got[0].Active || got[0].Manager != "m@example.com" || got[0].SlackID == got[1].SlackID) {
				t.Errorf("first person %+v, second %+v", got[0], got[1])
			}
		})
	}
}
