package policy

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"gopkg.in/yaml.v3"
)

// parser walks one file's yaml.Node tree, collecting every error with its
// position instead of stopping at the first.
type parser struct {
	file  string
	errs  ErrorList
	envs  *envs
	words *vocab // the policy's mentions() vocabulary
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	e := &PosError{File: p.file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	p.errs = append(p.errs, e)
}

// resolve follows YAML aliases (bounded, aliases cannot nest deeper than
// the document).
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return strings.TrimPrefix(n.Tag, "!!") + " " + strconv.Quote(n.Value)
	}
	return "an unexpected node"
}

// mapping checks that n is a mapping whose keys are all in allowed (no
// duplicates) and calls fn for each entry in order.
func (p *parser) mapping(n *yaml.Node, what string, allowed []string, fn func(key string, k, v *yaml.Node)) bool {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		if n != nil {
			p.errorf(n, "%s: want a mapping, got %s", what, kindName(n))
		}
		return false
	}
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k == nil || v == nil || k.Kind != yaml.ScalarNode {
			p.errorf(n.Content[i], "%s: keys must be plain names", what)
			continue
		}
		key := k.Value
		switch {
		case seen[key]:
			p.errorf(k, "%s: duplicate key %q", what, key)
			continue
		case allowed != nil && !contains(allowed, key):
			p.errorf(k, "%s: unknown key %q (want one of %s)", what, key, strings.Join(allowed, ", "))
			continue
		}
		seen[key] = true
		fn(key, k, v)
	}
	return true
}

// seq calls fn for each item of a list; a null value is an empty list.
func (p *parser) seq(n *yaml.Node, what string, fn func(item *yaml.Node)) {
	n = resolve(n)
	if n == nil || isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s: want a list, got %s", what, kindName(n))
		return
	}
	for _, it := range n.Content {
		if it = resolve(it); it != nil {
			fn(it)
		}
	}
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func (p *parser) str(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		p.errorf(n, "%s: want a string, got %s", what, kindName(n))
		return ""
	}
	return n.Value
}

// strList accepts one string or a list of strings.
func (p *parser) strList(n *yaml.Node, what string) []string {
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		return []string{n.Value}
	}
	var out []string
	p.seq(n, what, func(it *yaml.Node) { out = append(out, p.str(it, what)) })
	return out
}

func (p *parser) integer(n *yaml.Node, what string) int {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		if v, err := strconv.Atoi(n.Value); err == nil {
			return v
		}
	}
	p.errorf(n, "%s: want an integer, got %s", what, kindName(n))
	return 0
}

func (p *parser) boolean(n *yaml.Node, what string) bool {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	}
	p.errorf(n, "%s: want true or false, got %s", what, kindName(n))
	return false
}

func (p *parser) duration(n *yaml.Node, what string) time.Duration {
	s := p.str(n, what)
	if s == "" {
		return 0
	}
	d, err := ParseDuration(s)
	if err != nil {
		p.errorf(n, "%s: %v", what, err)
	}
	return d
}

func (p *parser) regex(n *yaml.Node, what string) *litRegexp {
	s := p.str(n, what)
	re, err := compileLitRegexp(s)
	if err != nil {
		p.errorf(n, "%s: bad regular expression: %v", what, err)
		return nil
	}
	return re
}

// expr compiles and type-checks one CEL condition; it must yield a bool.
func (p *parser) expr(n *yaml.Node, what string, env *cel.Env) *expr {
	src := p.str(n, what)
	if strings.TrimSpace(src) == "" {
		if n.Kind == yaml.ScalarNode && !isNull(n) {
			p.errorf(n, "%s: empty expression", what)
		}
		return nil
	}
	ast, iss := env.Compile(src)
	if iss != nil && iss.Err() != nil {
		for _, e := range iss.Errors() {
			p.errorf(n, "%s: %s (expression %d:%d)", what, e.Message, e.Location.Line(), e.Location.Column()+1)
		}
		return nil
	}
	if t := ast.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
		p.errorf(n, "%s: expression must be a bool, it is %s", what, t)
		return nil
	}
	if errs := checkMentions(ast); len(errs) > 0 {
		for _, err := range errs {
			p.errorf(n, "%s: %v", what, err)
		}
		return nil
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize), cel.CustomDecorator(planDecorator(p.words)))
	if err != nil {
		p.errorf(n, "%s: %v", what, err)
		return nil
	}
	return newExpr(src, prg, ast, p.words)
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
