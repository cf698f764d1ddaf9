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
