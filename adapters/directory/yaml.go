package directory

import (
	"fmt"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// readYAML accepts a sequence of person mappings, or a mapping with a
// "people" sequence. It works on yaml.Node so every record and field keeps
// its line and column.
func readYAML(data []byte, p *problems) []record {
	var doc yaml.Node
	if err := unmarshalYAML(data, &doc); err != nil {
		addYAMLError(p, err)
		p.truncated = true
		return nil
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		p.add(pos{}, "empty file: want a list of people or a mapping with \"people\"")
		return nil
	}
	root := doc.Content[0]
	switch root.Kind {
	case yaml.SequenceNode:
		return yamlPeople(root, p)
	case yaml.MappingNode:
		return yamlWrapper(root, p)
	}
	p.add(at(root), "want a list of people or a mapping with \"people\", got %s", nodeKind(root))
	return nil
}

// unmarshalYAML turns a parser panic into an error: the input is from
// outside and must never take the service down.
func unmarshalYAML(data []byte, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: %v", r)
		}
	}()
	return yaml.Unmarshal(data, n)
}

func yamlWrapper(root *yaml.Node, p *problems) []record {
	var recs []record
	found := false
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch {
		case k.Value != "people" || found:
			p.add(at(k), "unknown key %q (want only \"people\")", k.Value)
		case v.Kind != yaml.SequenceNode:
			found = true
			p.add(at(v), "people: want a list, got %s", nodeKind(v))
		default:
			found = true
			recs = yamlPeople(v, p)
		}
	}
	if !found {
		p.add(at(root), "no \"people\" list")
	}
	return recs
}

func yamlPeople(seq *yaml.Node, p *problems) []record {
	recs := make([]record, 0, len(seq.Content))
	for _, n := range seq.Content {
		if n.Kind != yaml.MappingNode {
			p.add(at(n), "person: want a mapping, got %s", nodeKind(n))
			continue
		}
		rec := record{at: at(n)}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			rec.fields = append(rec.fields, yamlField(k, v, p))
		}
		recs = append(recs, rec)
	}
	return recs
}

// yamlField keeps every scalar as text: YAML users write dates and
// numbers unquoted, and the field decides what it accepts.
func yamlField(k, v *yaml.Node, p *problems) field {
	f := field{name: k.Value, at: at(k)}
	switch v.Kind {
	case yaml.ScalarNode:
		f.kind, f.value = kindString, v.Value
		if v.Tag == "!!null" {
			f.kind = kindNull
		}
	case yaml.SequenceNode:
		f.kind = kindList
		for _, item := range v.Content {
			if item.Kind != yaml.ScalarNode {
				p.add(at(item), "%s: want a list of strings, found %s", f.name, nodeKind(item))
				continue
			}
			f.list = append(f.list, item.Value)
		}
	case yaml.AliasNode:
		f.kind = kindNull
		p.add(at(v), "%s: aliases are not supported", f.name)
	default:
		f.kind = kindObject
	}
	return f
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// addYAMLError positions yaml.v3's "yaml: line N: msg" errors.
func addYAMLError(p *problems, err error) {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		p.add(pos{line: line}, "invalid YAML: %s", m[2])
		return
	}
	p.add(pos{}, "invalid YAML: %v", err)
}

func at(n *yaml.Node) pos { return pos{line: n.Line, col: n.Column} }

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	}
	return "a scalar"
}
