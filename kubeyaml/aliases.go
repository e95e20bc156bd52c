package kubeyaml

import (
	"bytes"
	"errors"
	"fmt"

	yaml "go.yaml.in/yaml/v3"
)

// ErrTooManyAliases is the error, wrapped in an *Error at the offending alias, for a document whose aliases
// expand to far more than it holds ("billion laughs": eight lines of nine aliases each stand for 43 million
// nodes). Converting such a document to values took 1.9 GB before anything failed.
var ErrTooManyAliases = errors.New("too many alias expansions")

// The limit is the one yaml.v2 and yaml.v3 apply when they decode into Go values, and so the Kubernetes API
// server's (CVE-2019-11253): nodes that come from alias expansion may make up at most 99% of a document of
// up to 400,000 nodes, a share falling to 10% at 4,000,000. A document the API server reads, meshctl reads;
// any document costs at most about a hundred times its own nodes, and a bomb fails within a few thousand.
const (
	aliasShareSmallDoc = 400_000
	aliasShareLargeDoc = 4_000_000
	// sizeCap keeps the expanded counts of deep bombs (9^20 overflows int64) from wrapping around.
	sizeCap = 1 << 40
)

// allowedAliasShare is the share of a document's expanded nodes that may come from aliases.
func allowedAliasShare(total int) float64 {
	switch {
	case total <= aliasShareSmallDoc:
		return 0.99
	case total >= aliasShareLargeDoc:
		return 0.10
	}
	return 0.99 - 0.89*float64(total-aliasShareSmallDoc)/float64(aliasShareLargeDoc-aliasShareSmallDoc)
}

// checkAliases refuses a document whose aliases expand too much, or form a cycle, before anything expands
// them: it counts, in document order, the nodes each alias stands for (each anchor is sized once) and fails at
// the first alias that takes the share of expanded nodes over the limit, naming its line.
func (d *Document) checkAliases(root *yaml.Node) error {
	if bytes.IndexByte(d.Raw, '*') < 0 {
		return nil // no alias: the common case costs one byte scan
	}
	g := aliasGuard{d: d}
	return g.walk(root)
}

type aliasGuard struct {
	d      *Document
	sizes  map[*yaml.Node]int  // expanded size of anchored nodes already counted
	sizing map[*yaml.Node]bool // anchored nodes being counted: an alias to one of them is a cycle
	// total counts nodes as a decoder meets them, aliases expanded; fromAliases those met inside an alias.
	total, fromAliases int
}

func (g *aliasGuard) walk(n *yaml.Node) error {
	g.total++
	if n.Kind != yaml.AliasNode {
		for _, c := range n.Content {
			if err := g.walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	size, err := g.size(n.Alias, n)
	if err != nil {
		return err
	}
	g.total = min(g.total+size, sizeCap)
	g.fromAliases = min(g.fromAliases+size, sizeCap)
	if share := allowedAliasShare(g.total); g.fromAliases > 100 && g.total > 1000 && float64(g.fromAliases) > share*float64(g.total) {
		return &Error{Source: g.d.Source, Line: g.d.AbsLine(n.Line), Err: fmt.Errorf(
			"%w (aliases stand for %d of the document's first %d nodes; at most %.0f%% may come from aliases)",
			ErrTooManyAliases, g.fromAliases, g.total, share*100)}
	}
	return nil
}

// size is the number of nodes n stands for with its aliases expanded; alias is the alias that led to n.
func (g *aliasGuard) size(n, alias *yaml.Node) (int, error) {
	if n == nil {
		return 0, nil
	}
	if n.Kind == yaml.AliasNode {
		s, err := g.size(n.Alias, n)
		return min(s+1, sizeCap), err
	}
	if s, ok := g.sizes[n]; ok {
		return s, nil
	}
	if g.sizing[n] {
		return 0, &Error{Source: g.d.Source, Line: g.d.AbsLine(alias.Line), Err: fmt.Errorf("alias *%s is inside the anchor &%s it refers to", alias.Value, n.Anchor)}
	}
	if n.Anchor != "" {
		if g.sizing == nil {
			g.sizes, g.sizing = map[*yaml.Node]int{}, map[*yaml.Node]bool{}
		}
		g.sizing[n] = true
		defer delete(g.sizing, n)
	}
	s := 1
	for _, c := range n.Content {
		cs, err := g.size(c, alias)
		if err != nil {
			return 0, err
		}
		s = min(s+cs, sizeCap)
	}
	if n.Anchor != "" {
		g.sizes[n] = s
	}
	return s, nil
}
