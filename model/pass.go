package model

import (
	"fmt"
	"slices"
	"strings"
)

// Pass is one load-time transformation of a graph, after golang.org/x/tools'
// go/analysis: a name, a line of documentation and a Run. Every pass works in
// place on a graph that Compile has already copied, never changes a constant
// tensor (it adds new ones), and leaves the graph valid: nodes in execution
// order, every value read defined.
type Pass struct {
	// Name identifies the pass, e.g. "fold" or "fuse-linear".
	Name string
	// Doc says in one line what the pass does.
	Doc string
	// Run rewrites g and returns how many rewrites it made (0: g unchanged).
	Run func(g *Graph) (int, error)
}

// FusionPasses returns the fusions Compile runs, in the order it runs them:
// each rewrites one pattern into what the engines compute fast, and each
// leaves a graph it does not match unchanged.
func FusionPasses() []Pass {
	return []Pass{
		FuseLinear, FuseConvBatchNorm, FuseConv, ExplicitPools, FuseLayerNorm, FuseGelu, FuseGlobalPool,
		FuseAttention, FuseResidual, FuseSwish, FuseActivation,
	}
}

// fusion makes the Pass of a fusion from its match, which rewrites the one
// pattern anchored at a node, or reports it does not hold there.
func fusion(name, doc string, match func(ix *index, n *Node) bool) Pass {
	return Pass{Name: name, Doc: doc, Run: func(g *Graph) (int, error) {
		return fuseAll(g, func(ix *index, n *Node) (bool, error) { return match(ix, n), nil })
	}}
}

// runPasses runs passes in order, each error wrapped with the pass's name.
func runPasses(g *Graph, passes ...Pass) error {
	for _, p := range passes {
		if _, err := p.Run(g); err != nil {
			return fmt.Errorf("%s: %w", p.Name, err)
		}
	}
	return nil
}

// passNames lists the names of passes, for error messages.
func passNames(passes []Pass) string {
	names := make([]string, len(passes))
	for i, p := range passes {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// coversOf is what a node computes of the graph as loaded: its Covers, or its
// own name when nothing recorded them.
func coversOf(n *Node) []string {
	if len(n.Covers) > 0 {
		return n.Covers
	}
	return []string{n.Name}
}

// coverAll joins what nodes cover, in the order given, each name once.
func coverAll(nodes ...*Node) []string {
	var out []string
	for _, n := range nodes {
		for _, c := range coversOf(n) {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}
