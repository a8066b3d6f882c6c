package policy

import "strings"

// StaticDirectory is an in-memory Directory keyed by email; policy tests
// and offline tools use it.
type StaticDirectory map[string]Person

// NewStaticDirectory indexes people by lower-cased email; later entries
// replace earlier ones.
func NewStaticDirectory(people ...Person) StaticDirectory {
	d := make(StaticDirectory, len(people))
	for _, p := range people {
		d[strings.ToLower(strings.TrimSpace(p.Email))] = p
	}
	return d
}

// Person implements Directory; it never fails.
func (d StaticDirectory) Person(email string) (Person, bool, error) {
	p, ok := d[strings.ToLower(strings.TrimSpace(email))]
	return p, ok, nil
}
