// Package sim runs many nodes of package node in one process, over the
// in-memory transport, on a chosen topology, floods messages through them
// and reports what flooding costs: deliveries, transmissions and
// duplicates per message next to the tutorial's N·D, N(D-1)+1 and the
// spanning tree's N-1, the time until every node has a message, wall time
// and peak memory. It can draw the topology in Graphviz DOT with the edges
// that carried each node's first copy of a message marked: the spanning
// tree that flooding finds by itself.
//
// `p2p sim` is its command-line front end; docs/bandwidth.md shows what it
// measures.
package sim
