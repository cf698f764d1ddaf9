package sim

import (
	"bufio"
	"fmt"
	"io"
)

// WriteDOT draws the run's topology in Graphviz DOT. The edges that carried
// each node's first copy of the first message are drawn bold and directed
// (the spanning tree flooding found by itself); the others, which carried
// only duplicates, are dimmed. The origin is drawn as a double circle.
func WriteDOT(w io.Writer, r *Result) error {
	bw := bufio.NewWriter(w)
	tree := make(map[[2]int]int, len(r.FirstFrom)) // edge -> child
	for child, parent := range r.FirstFrom {
		if parent >= 0 {
			tree[[2]int{min(child, parent), max(child, parent)}] = child
		}
	}
	if r.Mode == "tree" {
		fmt.Fprintf(bw, "// p2p sim -mode tree -topology %s -n %d: %d edges, %d in the eager tree (message %d, settled: bold), %d lazy (dashed: IHAVE only)\n",
			r.Topology, r.Nodes, len(r.EdgeList), len(tree), r.FirstFromMessage, len(r.EdgeList)-len(tree))
	} else {
		fmt.Fprintf(bw, "// p2p sim -topology %s -n %d: %d edges, %d used by the first message (a spanning tree), %d wasted\n",
			r.Topology, r.Nodes, len(r.EdgeList), len(tree), len(r.EdgeList)-len(tree))
	}
	fmt.Fprintf(bw, "graph flood {\n\tlayout=neato; overlap=false; node [shape=circle, fontsize=10];\n")
	for i := range r.Nodes {
		if i < len(r.FirstFrom) && r.FirstFrom[i] == -1 {
			fmt.Fprintf(bw, "\tn%d [shape=doublecircle, style=filled, fillcolor=gold];\n", i)
		}
	}
	for _, e := range r.EdgeList {
		if child, ok := tree[e]; ok {
			parent := e[0] + e[1] - child
			fmt.Fprintf(bw, "\tn%d -- n%d [dir=forward, penwidth=2.5, color=black];\n", parent, child)
		} else {
			fmt.Fprintf(bw, "\tn%d -- n%d [style=dashed, color=gray55];\n", e[0], e[1])
		}
	}
	fmt.Fprintf(bw, "}\n")
	return bw.Flush()
}

// WriteDOTBoth writes one picture of the graph with both trees of a
// `-mode both` run: the flood's (the first message's first copies) and the
// settled eager tree (the last message's). An edge in both is bold black,
// in the flood's tree only blue, in the eager tree only red, in neither
// dashed gray. Both runs must be of the same graph.
func WriteDOTBoth(w io.Writer, flood, tree *Result) error {
	edgesOf := func(r *Result) map[[2]int]int {
		m := make(map[[2]int]int, len(r.FirstFrom))
		for child, parent := range r.FirstFrom {
			if parent >= 0 {
				m[[2]int{min(child, parent), max(child, parent)}] = child
			}
		}
		return m
	}
	ft, tt := edgesOf(flood), edgesOf(tree)
	both := 0
	for e := range ft {
		if _, ok := tt[e]; ok {
			both++
		}
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "// p2p sim -mode both -topology %s -n %d: %d edges; the flood's tree (message 0) and the settled eager tree (message %d) share %d edges: bold black in both, blue the flood's only, red the eager tree's only, dashed gray neither\n",
		flood.Topology, flood.Nodes, len(flood.EdgeList), tree.FirstFromMessage, both)
	fmt.Fprintf(bw, "graph trees {\n\tlayout=neato; overlap=false; node [shape=circle, fontsize=10];\n")
	for i, parent := range flood.FirstFrom {
		if parent == -1 {
			fmt.Fprintf(bw, "\tn%d [shape=doublecircle, style=filled, fillcolor=gold];\n", i)
		}
	}
	for _, e := range flood.EdgeList {
		_, inFlood := ft[e]
		_, inTree := tt[e]
		switch {
		case inFlood && inTree:
			fmt.Fprintf(bw, "\tn%d -- n%d [penwidth=2.5, color=black];\n", e[0], e[1])
		case inFlood:
			fmt.Fprintf(bw, "\tn%d -- n%d [penwidth=2, color=blue];\n", e[0], e[1])
		case inTree:
			fmt.Fprintf(bw, "\tn%d -- n%d [penwidth=2, color=red];\n", e[0], e[1])
		default:
			fmt.Fprintf(bw, "\tn%d -- n%d [style=dashed, color=gray55];\n", e[0], e[1])
		}
	}
	fmt.Fprintf(bw, "}\n")
	return bw.Flush()
}
