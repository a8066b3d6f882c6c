package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Where an approval may come from (ApprovalRule.Channels).
const (
	ChannelSlack  = "slack"  // Approval.Channel "slack"
	ChannelTicket = "ticket" // any other channel: ticket comments, native approvals
)

const defaultReviewWithin = 24 * time.Hour

var topKeys = []string{"version", "mode", "resources", "extract", "classify", "eligibility", "approvals", "gates", "tests", "people"}

// Load reads and merges policy files. A path may be a directory, read as
// every *.yaml and *.yml file in it, in name order. Files with only tests:
// and people: are test files. On any problem Load returns nil and an
// ErrorList with every error found, so a bad policy never replaces a good one.
func Load(paths ...string) (*Policy, error) {
	b := newBuilder()
	for _, path := range paths {
		for _, f := range b.expand(path) {
			data, err := os.ReadFile(f)
			if err != nil {
				b.errs = append(b.errs, &PosError{File: f, Msg: fmt.Sprintf("cannot read: %v", err)})
				continue
			}
			b.addFile(f, data)
		}
	}
	if len(paths) == 0 {
		b.errs = append(b.errs, &PosError{File: "policy", Msg: "no policy files given"})
	}
	return b.finish()
}

// Parse compiles one policy file's bytes; filename is used in errors.
func Parse(filename string, data []byte) (*Policy, error) {
	b := newBuilder()
	b.addFile(filename, data)
	return b.finish()
}

type builder struct {
	pol       *Policy
	envs      *envs
	errs      ErrorList
	fileOrder map[string]int
	digest    hash.Hash
	names     map[string]bool // section + "\x00" + name
	modeFile  string
	ownerRefs []ownerRef
}

// ownerRef is an owner:RESOURCE source, checked once every file is read.
type ownerRef struct {
	file string
	node *yaml.Node
	res  string
}

func newBuilder() *builder {
	b := &builder{
		pol:       &Policy{mode: ModeAdvisory, resByName: map[string]int{}, gates: map[string][]string{}, words: newVocab()},
		fileOrder: map[string]int{},
		digest:    sha256.New(),
		names:     map[string]bool{},
	}
	for i, name := range partNames {
		b.pol.extract.fields[i] = name
	}
	var err error
	if b.envs, err = celEnvs(); err != nil {
		b.errs = append(b.errs, &PosError{File: "policy", Msg: err.Error()})
	}
	return b
}

func (b *builder) expand(path string) []string {
	st, err := os.Stat(path)
	if err != nil || !st.IsDir() {
		return []string{path}
	}
	var out []string
	for _, pat := range []string{"*.yaml", "*.yml"} {
		m, _ := filepath.Glob(filepath.Join(path, pat))
		out = append(out, m...)
	}
	slices.Sort(out)
	if len(out) == 0 {
		b.errs = append(b.errs, &PosError{File: path, Msg: "no *.yaml policy files in directory"})
	}
	return out
}

func (b *builder) addFile(name string, data []byte) {
	if _, dup := b.fileOrder[name]; dup {
		return
	}
	b.fileOrder[name] = len(b.fileOrder)
	b.pol.files = append(b.pol.files, name)
	if b.envs == nil {
		return
	}
	p := &parser{file: name, envs: b.envs, words: b.pol.words}
	root := p.document(data)
	if root != nil {
		b.readTop(p, root, data)
	}
	b.errs = append(b.errs, p.errs...)
}

// document parses YAML into a node tree; yaml.v3 panics on a few malformed
// inputs, which become errors here.
func (p *parser) document(data []byte) (root *yaml.Node) {
	defer func() {
		if r := recover(); r != nil {
			p.errs = append(p.errs, &PosError{File: p.file, Msg: fmt.Sprintf("invalid YAML: %v", r)})
			root = nil
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		p.errs = append(p.errs, yamlError(p.file, err))
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		p.errs = append(p.errs, &PosError{File: p.file, Line: 1, Column: 1, Msg: "empty policy file"})
		return nil
	}
	return doc.Content[0]
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

func yamlError(file string, err error) *PosError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	e := &PosError{File: file, Msg: "invalid YAML: " + msg}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Column = 1
		e.Msg = "invalid YAML: " + strings.TrimSpace(strings.Replace(msg, m[0]+":", "", 1))
	}
	return e
}

// readTop dispatches the top-level keys; people are read before tests.
func (b *builder) readTop(p *parser, root *yaml.Node, data []byte) {
	sections := map[string]*yaml.Node{}
	var versionNode *yaml.Node
	ok := p.mapping(root, "policy file", topKeys, func(key string, k, v *yaml.Node) {
		sections[key] = v
		if key == "version" {
			versionNode = v
		}
	})
	if !ok {
		return
	}
	testOnly := true
	for key := range sections {
		if key != "tests" && key != "people" {
			testOnly = false
		}
	}
	if !testOnly {
		b.digest.Write([]byte(strconv.Itoa(len(data)) + ":"))
		b.digest.Write(data)
		b.version(p, root, versionNode)
	}
	for _, key := range topKeys {
		if v, ok := sections[key]; ok {
			b.section(p, key, v, sections["people"])
		}
	}
}

func (b *builder) version(p *parser, root, v *yaml.Node) {
	switch {
	case v == nil:
		p.errorf(root, "version is required (version: 1)")
	case v.Kind != yaml.ScalarNode || v.Tag != "!!int":
		p.errorf(v, "version: want 1, got %s", kindName(v))
	case v.Value != "1":
		p.errorf(v, "version: unsupported version %s (want 1)", v.Value)
	}
}

func (b *builder) section(p *parser, key string, v, people *yaml.Node) {
	switch key {
	case "mode":
		b.mode(p, v)
	case "resources":
		p.resources(b, v)
	case "extract":
		p.extract(b, v)
	case "classify":
		p.classifyRules(b, v)
	case "eligibility":
		p.eligibilityRules(b, v)
	case "approvals":
		p.approvalRules(b, v)
	case "gates":
		p.gates(b, v)
	case "tests":
		b.pol.tests = append(b.pol.tests, p.tests(v, p.people(people))...)
	}
}

func (b *builder) mode(p *parser, v *yaml.Node) {
	m := p.str(v, "mode")
	switch m {
	case ModeEnforce, ModeAdvisory, ModeDryRun:
	default:
		p.errorf(v, "mode: unknown mode %q (want enforce, advisory or dry-run)", m)
		return
	}
	if b.modeFile != "" && b.pol.mode != m {
		p.errorf(v, "mode: %q conflicts with %q set in %s", m, b.pol.mode, b.modeFile)
		return
	}
	b.pol.mode, b.modeFile = m, p.file
}

// checkName rejects missing and duplicate rule names within a section.
func (b *builder) checkName(p *parser, n *yaml.Node, section, name string) {
	if strings.TrimSpace(name) == "" {
		p.errorf(n, "%s rule: name is required", section)
		return
	}
	key := section + "\x00" + name
	if b.names[key] {
		p.errorf(n, "%s rule: duplicate name %q", section, name)
	}
	b.names[key] = true
}

func (b *builder) addResource(p *parser, n *yaml.Node, r Resource) {
	pol := b.pol
	for _, w := range append([]string{r.Name}, r.Aliases...) {
		key := strings.ToLower(strings.TrimSpace(w))
		if i, dup := pol.resByName[key]; dup {
			p.errorf(n, "resource %q: name or alias %q is already used by resource %q", r.Name, w, pol.resources[i].Name)
			return
		}
	}
	for _, w := range append([]string{r.Name}, r.Aliases...) {
		pol.resByName[strings.ToLower(strings.TrimSpace(w))] = len(pol.resources)
	}
	pol.resources = append(pol.resources, r)
	idx := len(pol.resources) - 1
	for _, w := range append([]string{r.Name}, r.Aliases...) {
		pol.resPhrases.add(w, idx)
	}
	var roles phraseIndex
	for i, role := range r.Roles {
		roles.add(role, i)
	}
	pol.rolePhrases = append(pol.rolePhrases, roles)
}

// finish runs the checks that need every file and returns the policy, or
// nil and all errors.
func (b *builder) finish() (*Policy, error) {
	for _, ref := range b.ownerRefs {
		if _, ok := b.pol.resByName[strings.ToLower(ref.res)]; !ok {
			b.errs = append(b.errs, &PosError{File: ref.file, Line: ref.node.Line, Column: ref.node.Column,
				Msg: fmt.Sprintf("owner:%s: no resource %q in the resources catalog", ref.res, ref.res)})
		}
	}
	if len(b.errs) > 0 {
		b.errs.sort(b.fileOrder)
		return nil, b.errs
	}
	b.pol.digest = "sha256:" + hex.EncodeToString(b.digest.Sum(nil))
	// Explanation nodes: decision, classification, its rules, entitlement;
	// then, for identity tickets, all but requirements and votes (which
	// groups() reserves).
	b.pol.nodeHint = [2]int{3 + len(b.pol.classify), 9 + len(b.pol.eligibility) + len(b.pol.approvals)}
	return b.pol, nil
}
