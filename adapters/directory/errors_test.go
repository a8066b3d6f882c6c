package directory

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// problemsOf parses text and returns each positioned problem as printed.
func problemsOf(t *testing.T, name, format, text string) []string {
	t.Helper()
	f, err := Parse(name, strings.NewReader(text), format)
	if err == nil {
		t.Fatalf("Parse succeeded with %d people, want errors", f.Len())
	}
	var list Errors
	if !errors.As(err, &list) {
		t.Fatalf("error %v (%T) is not Errors", err, err)
	}
	if err.Error() != strings.Join(messages(list), "\n") {
		t.Errorf("Error() does not list every problem: %q", err)
	}
	return messages(list)
}

func messages(list Errors) []string {
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = e.Error()
	}
	return out
}

const hdr = "email,name,active,employment_type,manager,groups,start_date,end_date,owner,purpose,expiry,rotation\n"
const boss = "dana.ceo@example.com,Dana,true,employee,,leadership,,,,,,\n"

func TestCSVErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"month out of range", hdr + boss + "a@example.com,A,true,employee,,,,2026-13-01,,,,\n",
			[]string{`people.csv:3: end_date "2026-13-01": month out of range`}},
		{"day out of range", hdr + boss + "a@example.com,A,true,employee,,,2026-02-30,,,,,\n",
			[]string{`people.csv:3: start_date "2026-02-30": day out of range`}},
		{"not a date", hdr + boss + "a@example.com,A,true,employee,,,,31/10/2026,,,,\n",
			[]string{`people.csv:3: end_date "31/10/2026": want YYYY-MM-DD or RFC 3339`}},
		{"bad RFC 3339", hdr + boss + "a@example.com,A,true,employee,,,,2026-10-31T25:00:00Z,,,,\n",
			[]string{`people.csv:3: end_date "2026-10-31T25:00:00Z": hour out of range`}},
		{"end before start", hdr + boss + "a@example.com,A,true,employee,,,2026-05-01,2026-04-30,,,,\n",
			[]string{`people.csv:3: end_date 2026-04-30 is before start_date 2026-05-01`}},
		{"unknown column", "email,active,employment_type,Departmnet\na@example.com,true,employee,Eng\n",
			[]string{`people.csv:1: unknown column "Departmnet" (known: email, name, active, employment_type, department, title, manager, groups, start_date, end_date, owner, purpose, expiry, rotation)`}},
		{"duplicate column", "email,active,employment_type,Title,title\na@example.com,true,employee,x,y\n",
			[]string{`people.csv:1: duplicate column "title"`}},
		{"missing columns", "email,name\na@example.com,A\n",
			[]string{`people.csv:1: missing column "active"`, `people.csv:1: missing column "employment_type"`}},
		{"empty file", "",
			[]string{`people.csv: empty file: want a header row naming the columns (email, name, active, employment_type, department, title, manager, groups, start_date, end_date, owner, purpose, expiry, rotation)`}},
		{"duplicate email, any case", hdr + boss + "a@example.com,A,true,employee,,,,,,,,\n" + " A@Example.COM,A2,true,employee,,,,,,,,\n",
			[]string{`people.csv:4: duplicate email "a@example.com" (first on line 3)`}},
		{"dangling manager", hdr + boss + "a@example.com,A,true,employee,ghost@example.com,,,,,,,\n",
			[]string{`people.csv:3: manager "ghost@example.com": not in the file`}},
		{"dangling owner", hdr + boss + "svc-x@example.com,X,true,service_account,,,,,gone@example.com,backups,,\n",
			[]string{`people.csv:3: owner "gone@example.com": not in the file`}},
		{"owner not a person", hdr + boss + "svc-a@example.com,A,true,service_account,,,,,dana.ceo@example.com,,,\n" +
			"svc-b@example.com,B,true,token,,,,,svc-a@example.com,,,\n",
			[]string{`people.csv:4: owner "svc-a@example.com": is a service_account, want a person`}},
		{"own manager", hdr + "a@example.com,A,true,employee,A@example.com,,,,,,,\n",
			[]string{`people.csv:2: manager "a@example.com": is the person themself`}},
		{"manager loop", hdr + boss + "a@example.com,A,true,employee,c@example.com,,,,,,,\n" +
			"b@example.com,B,true,employee,a@example.com,,,,,,,\n" + "c@example.com,C,true,employee,b@example.com,,,,,,,\n",
			[]string{`people.csv:3: manager chain loops: a@example.com -> c@example.com -> b@example.com -> a@example.com`}},
		{"bad active", hdr + "a@example.com,A,maybe,employee,,,,,,,,\n",
			[]string{`people.csv:2: active "maybe": want true or false`}},
		{"bad employment type", hdr + "a@example.com,A,true,vendor,,,,,,,,\n",
			[]string{`people.csv:2: employment_type "vendor": want one of employee, contractor, intern, service_account, api_key, token, bot`}},
		{"bad email", hdr + "Ana Ruiz <ana@example.com>,A,true,employee,,,,,,,,\n" + "b@,B,true,employee,,,,,,,,\n",
			[]string{`people.csv:2: email "ana ruiz <ana@example.com>": not an email address`, `people.csv:3: email "b@": not an email address`}},
		{"missing values", hdr + ",A,,,,,,,,,,\n",
			[]string{`people.csv:2: email: missing`, `people.csv:2: active: missing`, `people.csv:2: employment_type: missing`}},
		{"nhi field on a human", hdr + boss + "a@example.com,A,true,employee,,,,,dana.ceo@example.com,,,30d\n",
			[]string{`people.csv:3: owner: only for service_account, api_key, token or bot (employment_type is "employee")`,
				`people.csv:3: rotation: only for service_account, api_key, token or bot (employment_type is "employee")`}},
		{"bad rotation", hdr + boss + "k@example.com,K,true,api_key,,,,,dana.ceo@example.com,ci,,ninety days\n" +
			"t@example.com,T,true,token,,,,,dana.ceo@example.com,ci,,0d\n" + "u@example.com,U,true,token,,,,,dana.ceo@example.com,ci,,99999999999999999w\n",
			[]string{`people.csv:3: rotation "ninety days": want a positive duration such as 90d, 2w or 12h`,
				`people.csv:4: rotation "0d": want a positive duration such as 90d, 2w or 12h`,
				`people.csv:5: rotation "99999999999999999w": longer than 36600 days`}},
		{"group with a comma", hdr + "a@example.com,A,true,employee,,\"eng, sre\",,,,,,\n",
			[]string{`people.csv:2: groups: "eng, sre": group names have no spaces or commas (separate groups with ";")`}},
		{"wrong field count", hdr + boss + "a@example.com,A,true,employee\n",
			[]string{`people.csv:3: 4 fields, header has 12`}},
		{"stray quote stops the read", hdr + boss + "a@example.com,A \"x\",true,employee,,,,,,,,\n" + "b@example.com,B,true,employee,ghost@example.com,,,,,,,\n",
			[]string{`people.csv:3:17: bare " in non-quoted-field`}},
		{"every problem, in file order", hdr + boss +
			"a@example.com,A,true,employee,nobody@example.com,,,2026-13-01,,,,\n" +
			"b@example.com,B,perhaps,employee,,,,,,,,\n" +
			"a@example.com,A again,true,employee,,,,,,,,\n",
			[]string{`people.csv:3: end_date "2026-13-01": month out of range`,
				`people.csv:3: manager "nobody@example.com": not in the file`,
				`people.csv:4: active "perhaps": want true or false`,
				`people.csv:5: duplicate email "a@example.com" (first on line 3)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problemsOf(t, "people.csv", "csv", tt.text)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestJSONErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"bad date at its field", `[
  {"email": "a@example.com", "active": true, "employment_type": "employee",
   "end_date": "2026-13-01"}
]`, []string{`people.json:3:4: end_date "2026-13-01": month out of range`}},
		{"unknown field", `[{"email": "a@example.com", "active": true, "employment_type": "employee", "dept": "x"}]`,
			[]string{`people.json:1:76: unknown field "dept" (known: email, name, active, employment_type, department, title, manager, groups, start_date, end_date, owner, purpose, expiry, rotation)`}},
		{"wrong types", `[{"email": "a@example.com", "active": "sure", "employment_type": "employee", "name": 7, "groups": ["a", 1], "title": {"x": 1}}]`,
			[]string{`people.json:1:29: active "sure": want true or false`,
				`people.json:1:78: name: want a string, got number`,
				`people.json:1:105: groups: want a list of strings, found a number`,
				`people.json:1:109: title: want a string, got object`}},
		{"active as a number", `[{"email": "a@example.com", "active": 1, "employment_type": "employee"}]`,
			[]string{`people.json:1:29: active: want true or false, got number`}},
		{"duplicate field", "[{\"email\": \"a@example.com\", \"active\": true,\n \"employment_type\": \"employee\", \"active\": false}]",
			[]string{`people.json:2:33: duplicate field "active" (first on line 1)`}},
		{"record not an object", `[{"email": "a@example.com", "active": true, "employment_type": "employee"}, "b@example.com"]`,
			[]string{`people.json:1:77: person: want an object, got a string`}},
		{"duplicate email and dangling manager", `{"people": [
  {"email": "a@example.com", "active": true, "employment_type": "employee", "manager": "m@example.com"},
  {"email": "A@example.com", "active": true, "employment_type": "employee"}
]}`, []string{`people.json:2:77: manager "m@example.com": not in the file`,
			`people.json:3:3: duplicate email "a@example.com" (first on line 2)`}},
		{"unknown top-level key", `{"people": [], "generated": "2026-11-01"}`,
			[]string{`people.json:1:16: unknown key "generated" (want only "people")`}},
		{"no people", `{"persons": []}`,
			[]string{`people.json:1:1: no "people" array`, `people.json:1:2: unknown key "persons" (want only "people")`}},
		{"wrong top level", `"a@example.com"`,
			[]string{`people.json:1:1: want an array of people or {"people": [...]}, got a string`}},
		{"syntax error", "[\n  {\"email\": \"a@example.com\", \"active\": tru}\n]",
			[]string{`people.json:2:43: invalid JSON: invalid character '}' in literal true (expecting 'e')`}},
		{"truncated", `[{"email": "a@example.com", "active": true, "employment_type": "employee", "manager": "b@example.com"}, {"email": `,
			[]string{`people.json:1:115: invalid JSON: unexpected end of file`}},
		{"trailing data", `[] []`, []string{`people.json:1:4: unexpected data after the people`}},
		{"empty", ``, []string{`people.json: empty file: want an array of people or {"people": [...]}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problemsOf(t, "people.json", "json", tt.text)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestYAMLErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"bad date at its field", `people:
  - email: a@example.com
    active: true
    employment_type: employee
    end_date: 2026-13-01
`, []string{`people.yaml:5:5: end_date "2026-13-01": month out of range`}},
		{"dangling owner and unknown field", `- email: svc@example.com
  active: true
  employment_type: service_account
  owner: gone@example.com
  purpose: backups
  team: sre
`, []string{`people.yaml:4:3: owner "gone@example.com": not in the file`,
			`people.yaml:6:3: unknown field "team" (known: email, name, active, employment_type, department, title, manager, groups, start_date, end_date, owner, purpose, expiry, rotation)`}},
		{"missing fields at the record", "- email: a@example.com\n  name: A\n",
			[]string{`people.yaml:1:3: active: missing`, `people.yaml:1:3: employment_type: missing`}},
		{"alias", "- &a {email: a@example.com, active: true, employment_type: employee}\n- email: b@example.com\n  active: true\n  employment_type: employee\n  name: *a\n",
			[]string{`people.yaml:5:9: name: aliases are not supported`}},
		{"record not a mapping", "- a@example.com\n",
			[]string{`people.yaml:1:3: person: want a mapping, got a scalar`}},
		{"nested mapping", "- email: a@example.com\n  active: true\n  employment_type: employee\n  title: {a: b}\n",
			[]string{`people.yaml:4:3: title: want a string, got object`}},
		{"syntax error", "- email: a@example.com\n  active: true\n   employment_type: employee\n",
			[]string{`people.yaml:3: invalid YAML: mapping values are not allowed in this context`}},
		{"scalar document", "hello\n", []string{`people.yaml:1:1: want a list of people or a mapping with "people", got a scalar`}},
		{"empty", "", []string{`people.yaml: empty file: want a list of people or a mapping with "people"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problemsOf(t, "people.yaml", "yaml", tt.text)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestErrorCap(t *testing.T) {
	var b strings.Builder
	b.WriteString(hdr)
	for range maxErrors + 5 {
		b.WriteString("a@example.com,A,true,employee,,,,2026-13-01,,,,\n")
	}
	got := problemsOf(t, "people.csv", "csv", b.String())
	if len(got) != maxErrors+1 || got[maxErrors] != "people.csv: 109 more problems not shown" {
		t.Errorf("%d problems, last %q", len(got), got[len(got)-1])
	}
}
