package sim

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
)

// Topologies that Build knows.
var Topologies = []string{"chain", "ring", "complete", "regular", "random", "joined"}

// Build returns the edges of a topology on n nodes. d is the degree for
// "regular", the mean degree for "random" and the target for "joined";
// rng makes random graphs repeatable.
func Build(topology string, n, d int, rng *rand.Rand) ([][2]int, error) {
	if n < 2 {
		return nil, fmt.Errorf("need at least 2 nodes, got %d", n)
	}
	switch topology {
	case "chain":
		var e [][2]int
		for i := 0; i+1 < n; i++ {
			e = append(e, [2]int{i, i + 1})
		}
		return e, nil
	case "ring":
		if n < 3 {
			return nil, fmt.Errorf("a ring needs at least 3 nodes")
		}
		e, _ := Build("chain", n, d, rng)
		return append(e, [2]int{n - 1, 0}), nil
	case "complete":
		var e [][2]int
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				e = append(e, [2]int{i, j})
			}
		}
		return e, nil
	case "regular":
		return regular(n, d, rng)
	case "random":
		return randomConnected(n, d, rng)
	case "joined":
		if d < 1 {
			return nil, fmt.Errorf("the target degree must be at least 1, got %d", d)
		}
		return joined(n, min(d, n-1), max(2, 2*d), rng), nil
	}
	return nil, fmt.Errorf("unknown topology %q (known: %v)", topology, Topologies)
}

// regular builds a random connected d-regular graph: a circulant graph
// (each node linked to the d/2 nearest on each side of a ring, and to the
// opposite node when d is odd), shuffled by many degree-preserving double
// edge swaps, keeping the graph simple and connected.
func regular(n, d int, rng *rand.Rand) ([][2]int, error) {
	switch {
	case d < 2:
		return nil, fmt.Errorf("a regular graph needs degree 2 or more, got %d", d)
	case d >= n:
		return nil, fmt.Errorf("degree %d needs more than %d nodes", d, d)
	case n*d%2 != 0:
		return nil, fmt.Errorf("no %d-regular graph on %d nodes: n*d must be even", d, n)
	}
	if d == 2 { // a random cycle: random 2-regular graphs are rarely connected
		perm := rng.Perm(n)
		edges := make([][2]int, n)
		for i := range perm {
			a, b := perm[i], perm[(i+1)%n]
			edges[i] = [2]int{min(a, b), max(a, b)}
		}
		return edges, nil
	}
	set := make(map[[2]int]bool, n*d/2)
	key := func(a, b int) [2]int {
		if a > b {
			a, b = b, a
		}
		return [2]int{a, b}
	}
	for v := 0; v < n; v++ {
		for k := 1; k <= d/2; k++ {
			set[key(v, (v+k)%n)] = true
		}
		if d%2 == 1 {
			set[key(v, (v+n/2)%n)] = true
		}
	}
	edges := make([][2]int, 0, len(set))
	for e := range set {
		edges = append(edges, e)
	}
	slices.SortFunc(edges, compareEdges)
	for swaps := 0; swaps < 10*len(edges); swaps++ {
		i, j := rng.IntN(len(edges)), rng.IntN(len(edges))
		a, b := edges[i][0], edges[i][1]
		c, e := edges[j][0], edges[j][1]
		if rng.IntN(2) == 0 {
			c, e = e, c
		}
		// (a,b),(c,e) -> (a,e),(c,b)
		if a == e || c == b || set[key(a, e)] || set[key(c, b)] || i == j {
			continue
		}
		delete(set, key(a, b))
		delete(set, key(c, e))
		set[key(a, e)], set[key(c, b)] = true, true
		edges[i], edges[j] = key(a, e), key(c, b)
	}
	if !connected(n, edges) {
		// Rare for d >= 3: try again from another random state.
		return regular(n, d, rng)
	}
	return edges, nil
}

// randomConnected builds a random spanning tree, then adds random edges
// until the mean degree is d (n*d/2 edges in all).
func randomConnected(n, d int, rng *rand.Rand) ([][2]int, error) {
	if d < 2 || d >= n {
		return nil, fmt.Errorf("mean degree must be from 2 to %d, got %d", n-1, d)
	}
	want := n * d / 2
	seen := make(map[[2]int]bool, want)
	var e [][2]int
	add := func(a, b int) {
		if a > b {
			a, b = b, a
		}
		if a != b && !seen[[2]int{a, b}] {
			seen[[2]int{a, b}] = true
			e = append(e, [2]int{a, b})
		}
	}
	perm := rng.Perm(n)
	for i := 1; i < n; i++ {
		add(perm[i], perm[rng.IntN(i)])
	}
	for len(e) < want {
		add(rng.IntN(n), rng.IntN(n))
	}
	return e, nil
}

// connected reports whether the edges connect all n nodes.
func connected(n int, edges [][2]int) bool {
	adj := make([][]int, n)
	for _, e := range edges {
		adj[e[0]] = append(adj[e[0]], e[1])
		adj[e[1]] = append(adj[e[1]], e[0])
	}
	seen := make([]bool, n)
	stack := []int{0}
	seen[0] = true
	count := 1
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, w := range adj[v] {
			if !seen[w] {
				seen[w] = true
				count++
				stack = append(stack, w)
			}
		}
	}
	return count == n
}

// joined is the graph auto-join builds (docs/joining.md) when the nodes
// join one after another through node 0, with target degree target and
// at most maxPeers peers each, drawn from rng instead of from the timing
// of real dials: each node dials addresses it learned, chosen at random,
// until it has target peers; every node it reaches, full or not, tells it
// its peers' addresses (PEERS), and a full node refuses. Then the nodes
// still below target (the first ones, which joined an almost empty
// network) go on dialing what they learned, in order.
func joined(n, target, maxPeers int, rng *rand.Rand) [][2]int {
	adj := make([][]int, n)
	linked := make(map[[2]int]bool)
	known := make([][]int, n) // in the order learned
	knows := make([]map[int]bool, n)
	learn := func(v, w int) {
		if v != w && !knows[v][w] {
			knows[v][w] = true
			known[v] = append(known[v], w)
		}
	}
	var edges [][2]int
	fill := func(v int) {
		tried := map[int]bool{}
		for len(adj[v]) < target {
			var cands []int
			for _, w := range known[v] {
				if !tried[w] && !linked[[2]int{min(v, w), max(v, w)}] {
					cands = append(cands, w)
				}
			}
			if len(cands) == 0 {
				return
			}
			w := cands[rng.IntN(len(cands))]
			tried[w] = true
			for _, x := range adj[w] {
				learn(v, x)
			}
			if len(adj[w]) >= maxPeers {
				continue // refused: too many peers
			}
			adj[v], adj[w] = append(adj[v], w), append(adj[w], v)
			linked[[2]int{min(v, w), max(v, w)}] = true
			edges = append(edges, [2]int{min(v, w), max(v, w)})
			learn(w, v)
		}
	}
	for v := range n {
		knows[v] = map[int]bool{}
	}
	for v := 1; v < n; v++ {
		learn(v, 0)
		fill(v)
	}
	for v := 1; v < n; v++ {
		for _, w := range adj[v] {
			for _, x := range adj[w] {
				learn(v, x)
			}
		}
		fill(v)
	}
	slices.SortFunc(edges, compareEdges)
	return edges
}

// compareEdges orders edges by their first node, then their second.
func compareEdges(a, b [2]int) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) }
