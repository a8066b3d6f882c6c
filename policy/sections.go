package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// The section parsers: each reads one top-level key of a policy file into
// the builder, reporting every problem with its position.

func (p *parser) resources(b *builder, n *yaml.Node) {
	p.seq(n, "resources", func(it *yaml.Node) {
		var r Resource
		keys := []string{"name", "description", "roles", "owners", "max_duration", "aliases"}
		ok := p.mapping(it, "resource", keys, func(key string, _, v *yaml.Node) {
			switch key {
			case "name":
				r.Name = strings.TrimSpace(p.str(v, "resource name"))
			case "description":
				r.Description = p.str(v, "description")
			case "roles":
				r.Roles = p.strList(v, "roles")
			case "owners":
				r.Owners = lowerAll(p.strList(v, "owners"))
				for _, o := range r.Owners {
					if !strings.Contains(o, "@") {
						p.errorf(v, "owners: %q is not an email address", o)
					}
				}
			case "max_duration":
				r.MaxDuration = p.duration(v, "max_duration")
			case "aliases":
				r.Aliases = p.strList(v, "aliases")
			}
		})
		if !ok {
			return
		}
		if r.Name == "" {
			p.errorf(it, "resource: name is required")
			return
		}
		b.addResource(p, it, r)
	})
}

func (p *parser) extract(b *builder, n *yaml.Node) {
	p.mapping(n, "extract", []string{"fields", "patterns"}, func(key string, _, v *yaml.Node) {
		switch key {
		case "fields":
			p.mapping(v, "extract.fields", partNames[:], func(part string, _, fv *yaml.Node) {
				b.pol.extract.fields[slices.Index(partNames[:], part)] = p.str(fv, "extract.fields."+part)
			})
		case "patterns":
			p.seq(v, "extract.patterns", func(it *yaml.Node) {
				if pat, ok := p.pattern(it, len(b.pol.extract.patterns)); ok {
					b.pol.extract.patterns = append(b.pol.extract.patterns, pat)
				}
			})
		}
	})
}

// pattern reads a regex (a string, or {name, regex}) whose named groups
// are entitlement parts.
func (p *parser) pattern(it *yaml.Node, i int) (extractPattern, bool) {
	pat := extractPattern{name: fmt.Sprintf("pattern %d", i+1)}
	reNode := it
	if it.Kind == yaml.MappingNode {
		reNode = nil
		p.mapping(it, "extract pattern", []string{"name", "regex"}, func(key string, _, v *yaml.Node) {
			if key == "name" {
				pat.name = p.str(v, "pattern name")
			} else {
				reNode = v
			}
		})
		if reNode == nil {
			p.errorf(it, "extract pattern: regex is required")
			return pat, false
		}
	}
	pat.re = p.regex(reNode, "extract pattern")
	pat.label = "pattern " + strconv.Quote(pat.name)
	if pat.re == nil {
		return pat, false
	}
	named := false
	for j, g := range pat.re.SubexpNames() {
		if g == "" {
			continue
		}
		k := slices.Index(partNames[:], g)
		if k < 0 {
			p.errorf(reNode, "extract pattern: unknown capture name %q (want %s)", g, strings.Join(partNames[:], ", "))
			return pat, false
		}
		pat.idx[k], named = j, true
	}
	if !named {
		p.errorf(reNode, "extract pattern: no named capture such as (?P<resource>...)")
		return pat, false
	}
	return pat, true
}

func (p *parser) classifyRules(b *builder, n *yaml.Node) {
	p.seq(n, "classify", func(it *yaml.Node) {
		r := &classifyRule{}
		var whenNode *yaml.Node
		hasCat := false
		keys := []string{"name", "description", "when", "category", "impact"}
		ok := p.mapping(it, "classify rule", keys, func(key string, _, v *yaml.Node) {
			switch key {
			case "name":
				r.name = p.str(v, "name")
			case "when":
				whenNode = v
				r.when = p.expr(v, "when", p.envs.classify)
			case "category":
				s := p.str(v, "category")
				c, valid := parseCategory(s)
				if !valid {
					p.errorf(v, "category: unknown category %q (want %s)", s, categoryList())
				}
				r.category, hasCat = c, true
			case "impact":
				s := p.str(v, "impact")
				im, valid := ParseImpact(s)
				if !valid {
					p.errorf(v, "impact: unknown impact %q (want none, low, medium, high or critical)", s)
				}
				r.impact = im
			}
		})
		if !ok {
			return
		}
		b.checkName(p, it, "classify", r.name)
		if whenNode == nil {
			p.errorf(it, "classify rule %q: when is required", r.name)
		}
		if !hasCat {
			p.errorf(it, "classify rule %q: category is required", r.name)
		}
		r.label = string(r.category) + "/" + r.impact.String()
		if r.when != nil {
			b.pol.classify = append(b.pol.classify, r)
		}
	})
}

func (p *parser) eligibilityRules(b *builder, n *yaml.Node) {
	p.seq(n, "eligibility", func(it *yaml.Node) {
		r := &eligibilityRule{}
		var reqNode *yaml.Node
		keys := []string{"name", "description", "if", "require", "message"}
		ok := p.mapping(it, "eligibility rule", keys, func(key string, _, v *yaml.Node) {
			switch key {
			case "name":
				r.name = p.str(v, "name")
			case "if":
				r.cond = p.expr(v, "if", p.envs.full)
			case "require":
				reqNode = v
				r.require = p.expr(v, "require", p.envs.full)
			case "message":
				r.message = p.str(v, "message")
			}
		})
		if !ok {
			return
		}
		b.checkName(p, it, "eligibility", r.name)
		if reqNode == nil {
			p.errorf(it, "eligibility rule %q: require is required", r.name)
		}
		if r.require != nil {
			b.pol.eligibility = append(b.pol.eligibility, r)
		}
	})
}

func (p *parser) gates(b *builder, n *yaml.Node) {
	p.mapping(n, "gates", nil, func(src string, _, v *yaml.Node) {
		key := strings.ToLower(src)
		for _, s := range p.strList(v, "gates."+src) {
			b.pol.gates[key] = append(b.pol.gates[key], strings.ToLower(s))
		}
	})
}

func categoryList() string {
	names := make([]string, len(validCategories))
	for i, c := range validCategories {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

func lowerAll(l []string) []string {
	for i, s := range l {
		l[i] = strings.ToLower(strings.TrimSpace(s))
	}
	return l
}
