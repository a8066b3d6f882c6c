package policy

import (
	"strconv"
	"strings"
)

// extract fills the entitlement: structured ticket fields first, then the
// policy's named-capture patterns in order, then catalog matching (resource
// names and aliases, then the resource's roles) over summary+description.
func (st *evalState) extract() *Node {
	e := &st.cls.Entitlement
	var vals [nParts]string
	var from [nParts]string
	spec := &st.p.extract
	for i := range nParts {
		if v := strings.TrimSpace(st.ticket.Fields[spec.fields[i]]); v != "" {
			vals[i], from[i] = v, "field "+strconv.Quote(spec.fields[i])
		}
	}
	if s := strings.TrimSpace(st.ticket.Subject); s != "" {
		vals[partSubject], from[partSubject] = s, "ticket subject"
	}
	for pi := range spec.patterns {
		st.applyPattern(&spec.patterns[pi], &vals, &from)
	}
	st.resolveResource(&vals, &from)
	st.resolveRole(&vals, &from)
	e.Resource, e.Role, e.Justification = vals[partResource], vals[partRole], vals[partJustification]
	var durNote string
	if vals[partDuration] != "" {
		d, err := ParseDuration(vals[partDuration])
		if err != nil {
			durNote = "ignored unreadable duration " + strconv.Quote(vals[partDuration])
			from[partDuration] = ""
		} else {
			e.Duration = d
		}
	}
	e.Subject = st.normSubject(vals[partSubject])
	if vals[partSubject] == "" || e.Subject == st.requesterEmail {
		from[partSubject] = "the requester"
	}
	st.csrc.knownRes, st.csrc.knownRole = st.resIdx >= 0, st.knownRole
	if !st.explain {
		return nil
	}
	return st.entitlementNode(vals, from, durNote)
}

func (st *evalState) applyPattern(pat *extractPattern, vals, from *[nParts]string) {
	need := false
	for i := range nParts {
		if pat.idx[i] > 0 && vals[i] == "" {
			need = true
		}
	}
	if !need {
		return
	}
	m := pat.re.submatchIn(st.text, st.view(st.text).starts)
	if m == nil {
		return
	}
	for i := range nParts {
		j := pat.idx[i]
		if j == 0 || vals[i] != "" || m[2*j] < 0 {
			continue
		}
		if v := strings.TrimSpace(st.text[m[2*j]:m[2*j+1]]); v != "" {
			vals[i], from[i] = v, pat.label
		}
	}
}

// resolveResource maps a named resource onto the catalog, or finds the
// earliest catalog resource mentioned in the text.
func (st *evalState) resolveResource(vals, from *[nParts]string) {
	p := st.p
	if v := vals[partResource]; v != "" {
		if i, ok := p.resByName[strings.ToLower(v)]; ok {
			st.resIdx, vals[partResource] = i, p.resources[i].Name
		} else if i, ok := st.findResource(v); ok {
			st.resIdx, vals[partResource] = i, p.resources[i].Name
		} else {
			vals[partResource] = strings.ToLower(v)
		}
		return
	}
	if i, ok := st.findResource(st.text); ok {
		st.resIdx, vals[partResource] = i, p.resources[i].Name
		from[partResource] = "catalog (named in the text)"
	}
}

func (st *evalState) findResource(text string) (int, bool) {
	i, _, _, ok := st.p.resPhrases.find(text)
	return i, ok
}

// resolveRole maps a named role onto the resource's roles, or finds one of
// them in the text.
func (st *evalState) resolveRole(vals, from *[nParts]string) {
	if st.resIdx < 0 {
		vals[partRole] = strings.ToLower(vals[partRole])
		return
	}
	res := &st.p.resources[st.resIdx]
	if v := vals[partRole]; v != "" {
		key := squash(v)
		vals[partRole] = strings.ToLower(v)
		for _, r := range res.Roles {
			if squash(r) == key {
				vals[partRole], st.knownRole = r, true
			}
		}
		return
	}
	if ri, _, _, ok := st.p.rolePhrases[st.resIdx].find(st.text); ok {
		vals[partRole], st.knownRole = res.Roles[ri], true
		from[partRole] = "catalog roles of " + res.Name
	}
}

// squash lower-cases and drops separators: "Read Only" == "readonly".
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '_', '\t':
			return -1
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// normSubject turns a captured subject into a directory email: "me" is the
// requester; a bare name gets the requester's domain.
func (st *evalState) normSubject(s string) string {
	s = strings.Trim(strings.ToLower(strings.TrimSpace(s)), ".,;:!?'\"()<>")
	switch s {
	case "", "me", "myself", "i", "my":
		return st.requesterEmail
	}
	if !strings.Contains(s, "@") {
		if _, domain, ok := strings.Cut(st.requesterEmail, "@"); ok {
			s += "@" + domain
		}
	}
	return s
}

func (st *evalState) entitlementNode(vals, from [nParts]string, durNote string) *Node {
	e := st.cls.Entitlement
	shown := [nParts]string{e.Resource, e.Role, "", e.Subject, clip(e.Justification, 80)}
	if e.Duration > 0 {
		shown[partDuration] = formatDuration(e.Duration)
	}
	size := 0
	for i := range nParts {
		if shown[i] != "" {
			size++
			if from[i] != "" {
				size++
			}
		}
	}
	n := st.newNode(Node{Name: "entitlement", Kind: "extract", Result: Passed, Values: make(map[string]string, size)})
	for i := range nParts {
		if shown[i] == "" {
			continue
		}
		n.Values[partNames[i]] = shown[i]
		if from[i] != "" {
			n.Values[partFromNames[i]] = from[i]
		}
	}
	switch {
	case e.Resource == "":
		n.Result, n.Reason = Skipped, "no resource named"
	case st.resIdx < 0:
		n.Reason = "resource not in the catalog"
	case e.Role != "" && !st.knownRole:
		n.Reason = "role " + strconv.Quote(e.Role) + " is not a role of " + e.Resource
	}
	if durNote != "" {
		n.Reason = strings.TrimPrefix(n.Reason+"; "+durNote, "; ")
	}
	return n
}
