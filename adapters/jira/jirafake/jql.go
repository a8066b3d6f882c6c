package jirafake

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// query is a parsed JQL subset: clauses joined by AND over project, key,
// issuetype, status (=, !=, in, not in) and updated/created (=, >, >=, <,
// <=; "yyyy-MM-dd[ HH:mm]" in UTC, or epoch milliseconds), then ORDER BY.
type query struct {
	preds []func(*issue) bool
	order []orderBy
}

type orderBy struct {
	field string
	desc  bool
}

func (q query) match(is *issue) bool {
	for _, p := range q.preds {
		if !p(is) {
			return false
		}
	}
	return true
}

func (q query) sort(list []*issue) {
	order := q.order
	if len(order) == 0 {
		order = []orderBy{{"key", true}}
	}
	slices.SortStableFunc(list, func(a, b *issue) int {
		for _, o := range order {
			c := compareBy(o.field, a, b)
			if o.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
}

func compareBy(field string, a, b *issue) int {
	switch field {
	case "updated":
		return a.updated.Compare(b.updated)
	case "created":
		return a.created.Compare(b.created)
	}
	an, _ := strconv.Atoi(a.id)
	bn, _ := strconv.Atoi(b.id)
	return cmp.Compare(an, bn)
}

// jqlError is Jira's "Error in the JQL Query" 400.
type jqlError struct{ msg string }

func (e *jqlError) Error() string { return e.msg }

func parseJQL(s string) (query, error) {
	toks, err := lex(s)
	if err != nil {
		return query{}, err
	}
	p := &parser{toks: toks}
	return p.parse()
}

type parser struct {
	toks []string
	pos  int
}

func (p *parser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *parser) next() string { t := p.peek(); p.pos++; return t }

func (p *parser) kw(w string) bool {
	if strings.EqualFold(p.peek(), w) {
		p.pos++
		return true
	}
	return false
}

func (p *parser) parse() (query, error) {
	var q query
	for p.pos < len(p.toks) && !strings.EqualFold(p.peek(), "order") {
		if len(q.preds) > 0 && !p.kw("and") {
			return q, &jqlError{fmt.Sprintf("Error in the JQL Query: only AND is supported here, found '%s'.", p.peek())}
		}
		pred, err := p.clause()
		if err != nil {
			return q, err
		}
		q.preds = append(q.preds, pred)
	}
	if p.kw("order") {
		if !p.kw("by") {
			return q, &jqlError{"Error in the JQL Query: Expecting 'by' after 'order'."}
		}
		for {
			f := strings.ToLower(p.next())
			if f != "updated" && f != "created" && f != "key" {
				return q, &jqlError{fmt.Sprintf("Error in the JQL Query: ordering by '%s' is not supported.", f)}
			}
			o := orderBy{field: f}
			if p.kw("desc") {
				o.desc = true
			} else {
				p.kw("asc")
			}
			q.order = append(q.order, o)
			if p.peek() != "," {
				break
			}
			p.next()
		}
	}
	if p.pos < len(p.toks) {
		return q, &jqlError{fmt.Sprintf("Error in the JQL Query: unexpected '%s'.", p.peek())}
	}
	return q, nil
}

func (p *parser) clause() (func(*issue) bool, error) {
	field := strings.ToLower(p.next())
	op := strings.ToLower(p.next())
	if op == "not" && p.kw("in") {
		op = "not in"
	}
	switch field {
	case "project", "key", "issuekey", "issuetype", "type", "status":
		return p.setClause(field, op)
	case "updated", "created":
		return p.dateClause(field, op)
	}
	return nil, &jqlError{fmt.Sprintf("Field '%s' does not exist or you do not have permission to view it.", field)}
}

func (p *parser) setClause(field, op string) (func(*issue) bool, error) {
	var vals []string
	switch op {
	case "=", "!=":
		vals = []string{p.next()}
	case "in", "not in":
		if p.next() != "(" {
			return nil, &jqlError{"Error in the JQL Query: Expecting '(' after 'in'."}
		}
		for {
			vals = append(vals, p.next())
			t := p.next()
			if t == ")" {
				break
			}
			if t != "," {
				return nil, &jqlError{"Error in the JQL Query: Expecting ',' or ')' in a list."}
			}
		}
	default:
		return nil, &jqlError{fmt.Sprintf("Error in the JQL Query: operator '%s' is not supported for field '%s'.", op, field)}
	}
	neg := op == "!=" || op == "not in"
	get := map[string]func(*issue) string{
		"project": func(is *issue) string { return is.project.key }, "key": func(is *issue) string { return is.key },
		"issuekey": func(is *issue) string { return is.key }, "issuetype": func(is *issue) string { return is.itype.name },
		"type": func(is *issue) string { return is.itype.name }, "status": func(is *issue) string { return is.status.Name },
	}[field]
	return func(is *issue) bool {
		v := get(is)
		in := slices.ContainsFunc(vals, func(x string) bool { return strings.EqualFold(x, v) })
		return in != neg
	}, nil
}

func (p *parser) dateClause(field, op string) (func(*issue) bool, error) {
	t, err := parseJQLTime(p.next())
	if err != nil {
		return nil, err
	}
	get := func(is *issue) time.Time { return is.updated }
	if field == "created" {
		get = func(is *issue) time.Time { return is.created }
	}
	cmpOK := map[string]func(int) bool{
		">=": func(c int) bool { return c >= 0 }, ">": func(c int) bool { return c > 0 },
		"<=": func(c int) bool { return c <= 0 }, "<": func(c int) bool { return c < 0 }, "=": func(c int) bool { return c == 0 },
	}[op]
	if cmpOK == nil {
		return nil, &jqlError{fmt.Sprintf("Error in the JQL Query: operator '%s' is not supported for field '%s'.", op, field)}
	}
	// JQL compares at minute precision; epoch values keep milliseconds.
	return func(is *issue) bool { return cmpOK(get(is).Compare(t)) }, nil
}

func parseJQLTime(v string) (time.Time, error) {
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), nil
	}
	for _, l := range []string{"2006-01-02 15:04", "2006/01/02 15:04", "2006-01-02", "2006/01/02"} {
		if t, err := time.ParseInLocation(l, v, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, &jqlError{fmt.Sprintf("Date value '%s' for field 'updated' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.", v)}
}

func lex(s string) ([]string, error) {
	var toks []string
	rs := []rune(s)
	for i := 0; i < len(rs); {
		c := rs[i]
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '(' || c == ')' || c == ',':
			toks = append(toks, string(c))
			i++
		case c == '>' || c == '<' || c == '!' || c == '=' || c == '~':
			j := i + 1
			if j < len(rs) && rs[j] == '=' {
				j++
			}
			toks = append(toks, string(rs[i:j]))
			i = j
		case c == '"' || c == '\'':
			var b strings.Builder
			j := i + 1
			for ; j < len(rs) && rs[j] != c; j++ {
				if rs[j] == '\\' && j+1 < len(rs) {
					j++
				}
				b.WriteRune(rs[j])
			}
			if j >= len(rs) {
				return nil, &jqlError{"Error in the JQL Query: unterminated string."}
			}
			toks = append(toks, b.String())
			i = j + 1
		default:
			j := i
			for j < len(rs) && !unicode.IsSpace(rs[j]) && !strings.ContainsRune("()<>!=~,\"'", rs[j]) {
				j++
			}
			if j == i {
				return nil, &jqlError{fmt.Sprintf("Error in the JQL Query: the character '%c' is a reserved JQL character.", c)}
			}
			toks = append(toks, string(rs[i:j]))
			i = j
		}
	}
	return toks, nil
}
