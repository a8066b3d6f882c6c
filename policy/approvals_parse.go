package policy

import (
	"strings"

	"gopkg.in/yaml.v3"
)

var approvalKeys = []string{
	"name", "description", "if", "require", "self_approval", "allow_same_approver",
	"approval_valid_for", "max_duration", "mandatory", "scope", "break_glass", "review_within",
	"sla", "channels", "remind_after", "escalate_after", "escalate_to",
}

// defaultScope is what a mandatory rule must cover when it names no scope.
const defaultScope = "classification.impact_level >= 3"

func (p *parser) approvalRules(b *builder, n *yaml.Node) {
	p.seq(n, "approvals", func(it *yaml.Node) {
		r := &approvalRule{}
		r.File, r.Line = p.file, it.Line
		var scopeNode, reviewNode *yaml.Node
		ok := p.mapping(it, "approval rule", approvalKeys, func(key string, _, v *yaml.Node) {
			switch key {
			case "name":
				r.Name = p.str(v, "name")
			case "if":
				r.If = v.Value
				r.cond = p.expr(v, "if", p.envs.full)
			case "require":
				r.groups = p.requireGroups(b, v)
			case "scope":
				scopeNode, r.Scope = v, v.Value
				r.scope = p.expr(v, "scope", p.envs.full)
			case "review_within":
				reviewNode = v
				r.ReviewWithin = p.duration(v, key)
			case "escalate_to":
				r.EscalateTo = p.str(v, key)
				if src, valid := parseSource(r.EscalateTo); !valid {
					p.errorf(v, "escalate_to: unknown approver source %q (want %s)", r.EscalateTo, sourceHelp)
				} else if src.kind == srcResourceOwner {
					b.ownerRefs = append(b.ownerRefs, ownerRef{p.file, v, src.arg})
				}
			case "channels":
				r.Channels = p.channels(v)
			default:
				p.ruleFlag(r, key, v)
			}
		})
		if !ok {
			return
		}
		b.checkName(p, it, "approval", r.Name)
		p.finishRule(r, it, scopeNode, reviewNode)
		for _, g := range r.groups {
			r.Require = append(r.Require, g.RequirementGroup)
		}
		b.pol.approvals = append(b.pol.approvals, r)
	})
}

// ruleFlag reads the plain boolean and duration settings of a rule.
func (p *parser) ruleFlag(r *approvalRule, key string, v *yaml.Node) {
	switch key {
	case "self_approval":
		r.SelfApproval = p.boolean(v, key)
	case "allow_same_approver":
		r.AllowSameApprover = p.boolean(v, key)
	case "mandatory":
		r.Mandatory = p.boolean(v, key)
	case "break_glass":
		r.BreakGlass = p.boolean(v, key)
	case "approval_valid_for":
		r.ApprovalValidFor = p.duration(v, key)
	case "max_duration":
		r.MaxDuration = p.duration(v, key)
	case "sla":
		r.SLA = p.duration(v, key)
	case "remind_after":
		r.RemindAfter = p.duration(v, key)
	case "escalate_after":
		r.EscalateAfter = p.duration(v, key)
	}
}

// finishRule checks the combinations of settings and fills defaults.
func (p *parser) finishRule(r *approvalRule, it, scopeNode, reviewNode *yaml.Node) {
	if r.scope != nil && !r.Mandatory {
		p.errorf(scopeNode, "approval rule %q: scope only applies to mandatory rules", r.Name)
	}
	if r.Mandatory && scopeNode == nil {
		r.Scope = defaultScope
		r.scope = p.expr(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: defaultScope, Line: it.Line, Column: it.Column}, "scope", p.envs.full)
	}
	if r.BreakGlass {
		if len(r.groups) > 0 {
			p.errorf(it, "approval rule %q: a break_glass rule allows at once and takes no require", r.Name)
		}
		if r.ReviewWithin == 0 {
			r.ReviewWithin = defaultReviewWithin
		}
	} else if reviewNode != nil {
		p.errorf(reviewNode, "approval rule %q: review_within only applies to break_glass rules", r.Name)
	}
}

// requireGroups reads `require:`, a list of {from, count, name} groups.
func (p *parser) requireGroups(b *builder, n *yaml.Node) []reqGroup {
	var out []reqGroup
	p.seq(n, "require", func(it *yaml.Node) {
		g := reqGroup{RequirementGroup: RequirementGroup{Count: 1}}
		var fromNode *yaml.Node
		ok := p.mapping(it, "requirement", []string{"from", "count", "name"}, func(key string, _, v *yaml.Node) {
			switch key {
			case "from":
				fromNode = v
				g.From = p.strList(v, "from")
			case "count":
				if g.Count = p.integer(v, "count"); g.Count < 1 && v.Tag == "!!int" {
					p.errorf(v, "count: must be at least 1")
				}
			case "name":
				g.Name = p.str(v, "name")
			}
		})
		if !ok {
			return
		}
		if fromNode == nil || len(g.From) == 0 {
			p.errorf(it, "requirement: from is required (an approver source or a list of them)")
			return
		}
		for _, s := range g.From {
			src, valid := parseSource(s)
			if !valid {
				p.errorf(fromNode, "from: unknown approver source %q (want %s)", s, sourceHelp)
				continue
			}
			if src.kind == srcResourceOwner {
				b.ownerRefs = append(b.ownerRefs, ownerRef{p.file, fromNode, src.arg})
			}
			g.sources = append(g.sources, src)
		}
		if g.Name == "" {
			g.Name = strings.Join(g.From, " or ")
		}
		out = append(out, g)
	})
	if len(out) > 64 {
		p.errorf(n, "require: at most 64 requirement groups")
		return out[:64]
	}
	return out
}

func (p *parser) channels(v *yaml.Node) []string {
	l := p.strList(v, "channels")
	for _, c := range l {
		if c != ChannelSlack && c != ChannelTicket {
			p.errorf(v, "channels: unknown channel %q (want slack or ticket)", c)
		}
	}
	return l
}

const sourceHelp = "manager, requester_manager, owner, group:NAME, user:EMAIL or owner:RESOURCE"
