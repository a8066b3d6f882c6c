package directory

import (
	"strings"

	"github.com/accessbridge/accessbridge/policy"
)

// index checks what spans records (duplicates, dangling references,
// management loops) and builds the lookup maps.
func index(name string, entries []entry, p *problems) *File {
	f := &File{
		name:      name,
		people:    make([]policy.Person, 0, len(entries)),
		byEmail:   make(map[string]int, len(entries)),
		byGroup:   map[string][]int{},
		byManager: map[string][]int{},
		byOwner:   map[string][]int{},
	}
	kept := make([]entry, 0, len(entries))
	for _, e := range entries {
		if i, dup := f.byEmail[e.p.Email]; dup {
			p.add(e.at, "duplicate email %q (first on line %d)", e.p.Email, kept[i].at.line)
			continue
		}
		f.byEmail[e.p.Email] = len(f.people)
		f.people = append(f.people, e.p)
		kept = append(kept, e)
	}
	for i, e := range kept {
		f.link(i, e, p)
	}
	checkLoops(f, kept, p)
	return f
}

// link validates e's manager and owner and adds i to the secondary indexes.
func (f *File) link(i int, e entry, p *problems) {
	for _, g := range e.p.Groups {
		f.byGroup[g] = append(f.byGroup[g], i)
	}
	if m := e.p.Manager; m != "" && m != e.p.Email {
		if _, ok := f.byEmail[m]; !ok && !p.truncated {
			p.add(e.managerAt, "manager %q: not in the file", m)
		}
		f.byManager[m] = append(f.byManager[m], i)
	}
	if o := e.p.Owner; o != "" && o != e.p.Email {
		j, ok := f.byEmail[o]
		switch {
		case !ok && !p.truncated:
			p.add(e.ownerAt, "owner %q: not in the file", o)
		case ok && f.people[j].NonHuman():
			p.add(e.ownerAt, "owner %q: is a %s, want a person", o, f.people[j].EmploymentType)
		}
		f.byOwner[o] = append(f.byOwner[o], i)
	}
}

// checkLoops reports each management cycle once, at the manager field of
// the cycle's first member in file order. A loop would make any "manager's
// manager" walk spin forever.
func checkLoops(f *File, kept []entry, p *problems) {
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]int, len(kept))
	for start := range kept {
		var path []int
		i := start
		for i >= 0 && state[i] == unseen {
			state[i] = onPath
			path = append(path, i)
			i = f.managerIndex(i)
		}
		if i >= 0 && state[i] == onPath {
			reportLoop(f, kept, path, i, p)
		}
		for _, j := range path {
			state[j] = done
		}
	}
}

func (f *File) managerIndex(i int) int {
	m := f.people[i].Manager
	if m == "" || m == f.people[i].Email {
		return -1
	}
	j, ok := f.byEmail[m]
	if !ok {
		return -1
	}
	return j
}

func reportLoop(f *File, kept []entry, path []int, from int, p *problems) {
	var cycle []int
	for k, j := range path {
		if j == from {
			cycle = path[k:]
			break
		}
	}
	first := cycle[0]
	for _, j := range cycle {
		first = min(first, j)
	}
	names := make([]string, 0, len(cycle)+1)
	j := first
	for range cycle {
		names = append(names, f.people[j].Email)
		j = f.managerIndex(j)
	}
	names = append(names, f.people[first].Email)
	p.add(kept[first].managerAt, "manager chain loops: %s", strings.Join(names, " -> "))
}
