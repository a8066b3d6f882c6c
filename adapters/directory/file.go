// Package directory reads the HR / directory source from a file export
// (CSV, JSON or YAML) and answers the lookups evaluation needs: a person by
// email, a group's members, a manager's reports, the leavers.
//
// A file is checked as a whole before it is used: every bad field, unknown
// column, duplicate email, dangling manager or owner and management loop is
// reported with its file, line (and column where the format has one), and
// a file with any problem is rejected rather than half-loaded.
package directory

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/policy"
)

// MaxFileSize bounds what Load and Parse read.
const MaxFileSize = 64 << 20

// Formats Parse understands.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
	FormatYAML = "yaml"
)

// File is one loaded directory file. It is immutable once loaded, so it is
// safe for concurrent use.
type File struct {
	name      string
	people    []policy.Person // in file order
	byEmail   map[string]int
	byGroup   map[string][]int
	byManager map[string][]int
	byOwner   map[string][]int
}

var (
	_ policy.Directory = (*File)(nil)
	_ bridge.Directory = (*File)(nil)
)

// Load reads path, choosing the format by its extension (.csv, .json,
// .yaml, .yml). Problems are returned as Errors.
func Load(path string) (*File, error) {
	format, err := FormatOf(path)
	if err != nil {
		return nil, err
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	defer fh.Close()
	return Parse(path, fh, format)
}

// FormatOf names the format of path by its extension.
func FormatOf(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv":
		return FormatCSV, nil
	case ".json":
		return FormatJSON, nil
	case ".yaml", ".yml":
		return FormatYAML, nil
	default:
		return "", fmt.Errorf("directory: %s: unknown format %q (want .csv, .json, .yaml or .yml)", path, ext)
	}
}

// Parse reads a directory file in format (csv, json, yaml or yml); name
// is used in error positions.
func Parse(name string, r io.Reader, format string) (*File, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("directory: %s: %w", name, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("directory: %s: larger than %d bytes", name, MaxFileSize)
	}
	p := &problems{file: name}
	var recs []record
	switch strings.ToLower(format) {
	case FormatCSV:
		recs = readCSV(data, p)
	case FormatJSON:
		recs = readJSON(data, p)
	case FormatYAML, "yml":
		recs = readYAML(data, p)
	default:
		return nil, fmt.Errorf("directory: %s: unknown format %q (want csv, json or yaml)", name, format)
	}
	entries := make([]entry, 0, len(recs))
	for _, rec := range recs {
		if e, ok := build(rec, p); ok {
			entries = append(entries, e)
		}
	}
	f := index(name, entries, p)
	if err := p.err(); err != nil {
		return nil, err
	}
	return f, nil
}

// Name is the file name given to Load or Parse.
func (f *File) Name() string { return f.name }

// Len is the number of people and identities in the file.
func (f *File) Len() int { return len(f.people) }

// Person implements policy.Directory; the lookup ignores case and
// surrounding space.
func (f *File) Person(email string) (policy.Person, bool, error) {
	i, ok := f.byEmail[normalize(email)]
	if !ok {
		return policy.Person{}, false, nil
	}
	return clone(f.people[i]), true, nil
}

// Lookup implements bridge.Directory: an absent person is an error
// wrapping bridge.ErrNotFound.
func (f *File) Lookup(ctx context.Context, email string) (policy.Person, error) {
	p, ok, _ := f.Person(email)
	if !ok {
		return policy.Person{}, fmt.Errorf("directory %s: %q: %w", f.name, normalize(email), bridge.ErrNotFound)
	}
	return p, nil
}

// Members returns the members of group, in file order. Group names are
// matched exactly, as policy.Person.InGroup does.
func (f *File) Members(ctx context.Context, group string) ([]policy.Person, error) {
	return f.pick(f.byGroup[group]), nil
}

// Reports returns the direct reports of managerEmail, in file order.
func (f *File) Reports(ctx context.Context, managerEmail string) ([]policy.Person, error) {
	return f.pick(f.byManager[normalize(managerEmail)]), nil
}

// Owned returns the non-human identities owned by ownerEmail, in file
// order: what becomes orphaned when that person leaves.
func (f *File) Owned(ctx context.Context, ownerEmail string) ([]policy.Person, error) {
	return f.pick(f.byOwner[normalize(ownerEmail)]), nil
}

// All returns everyone in file order.
func (f *File) All() []policy.Person {
	out := make([]policy.Person, len(f.people))
	for i, p := range f.people {
		out[i] = clone(p)
	}
	return out
}

// Leavers returns those who are inactive or whose end_date is not after
// now, in file order. A date-only end_date is midnight UTC at the start of
// that day.
func (f *File) Leavers(now time.Time) []policy.Person {
	var out []policy.Person
	for _, p := range f.people {
		if Left(p, now) {
			out = append(out, clone(p))
		}
	}
	return out
}

// Left reports whether p counts as a leaver at now.
func Left(p policy.Person, now time.Time) bool {
	return !p.Active || (!p.EndDate.IsZero() && !now.Before(p.EndDate))
}

func (f *File) pick(idx []int) []policy.Person {
	out := make([]policy.Person, len(idx))
	for k, i := range idx {
		out[k] = clone(f.people[i])
	}
	return out
}

// clone copies p so a caller cannot change the loaded data through Groups.
func clone(p policy.Person) policy.Person {
	p.Groups = slices.Clone(p.Groups)
	return p
}

func normalize(email string) string { return strings.ToLower(strings.TrimSpace(email)) }
