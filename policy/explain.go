package policy

import (
	"bufio"
	"io"
	"slices"
	"strings"
)

// Format writes the tree indented, one node a line, for the CLI:
//
//	decision [failed] pending: waiting for group:security
//	  classification [matched] privileged_access/critical (…)
//	    admin-words [matched] privileged_access/critical  matched="admin"
func (n *Node) Format(w io.Writer) {
	bw := bufio.NewWriter(w)
	n.format(bw, 0)
	bw.Flush()
}

func (n *Node) format(w *bufio.Writer, depth int) {
	if n == nil {
		return
	}
	w.WriteString(strings.Repeat("  ", depth))
	w.WriteString(n.Name)
	if n.Result != "" {
		w.WriteString(" [" + string(n.Result) + "]")
	}
	if n.Reason != "" {
		w.WriteString(" " + n.Reason)
	}
	if len(n.Values) > 0 {
		keys := make([]string, 0, len(n.Values))
		for k := range n.Values {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		w.WriteString(" (")
		for i, k := range keys {
			if i > 0 {
				w.WriteString(", ")
			}
			w.WriteString(k + "=" + n.Values[k])
		}
		w.WriteString(")")
	}
	w.WriteByte('\n')
	for _, c := range n.Children {
		c.format(w, depth+1)
	}
}

// Find returns the first node called name in the tree (depth first).
func (n *Node) Find(name string) *Node {
	if n == nil {
		return nil
	}
	if n.Name == name {
		return n
	}
	for _, c := range n.Children {
		if f := c.Find(name); f != nil {
			return f
		}
	}
	return nil
}
