package node

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/p2p-chat/p2p/node/transport/memnet"
)

// TestStressChurningGraph: 20 nodes on a random connected graph; 5 of them
// send 150 signed messages each at the same time while a chaos loop cuts random
// links and dials new ones, keeping the graph connected. Every node must
// deliver every message it did not send exactly once. Catch-up is what
// makes that hold while links change: a new link brings what passed
// while it was down (docs/catch-up.md).
func TestStressChurningGraph(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("stress test")
	}
	const (
		nodes   = 20
		senders = 5
		each    = 150  // signed: about 15,000 verifications
		extra   = 20   // edges beyond the spanning tree
		chaos   = 1000 // at most this many cut-and-dial operations
	)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	c := newCluster(t, memnet.New(0), nodes, func(cfg *Config) {
		cfg.QueueFrames = 8192
	})
	g := newGraph(nodes)
	// A random spanning tree, then extra random edges.
	for i := 1; i < nodes; i++ {
		g.add(i, rng.IntN(i))
	}
	for len(g.edges()) < nodes-1+extra {
		a, b := rng.IntN(nodes), rng.IntN(nodes)
		if a != b && !g.has(a, b) {
			g.add(a, b)
		}
	}
	c.link(g.edges())

	// The senders send in rounds; round r waits until the chaos loop has
	// done r*opsPerRound operations, so cuts and dials happen all through
	// the sending, whatever the machine's speed.
	const rounds, opsPerRound = 10, 4
	chaosDone := newProgress()
	var mu sync.Mutex
	sentBy := map[string]int{}
	var wg sync.WaitGroup
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if i%(each/rounds) == 0 && !chaosDone.waitFor(i/(each/rounds)*opsPerRound) {
					t.Errorf("the chaos loop stopped early")
					return
				}
				m, err := c.nodes[s].Send(fmt.Sprintf("n%d says %d", s, i))
				if err != nil {
					t.Errorf("send: %v", err)
					return
				}
				mu.Lock()
				sentBy[m.ID] = s
				mu.Unlock()
			}
		}()
	}
	sending := make(chan struct{})
	go func() { wg.Wait(); close(sending) }()

	// Chaos, for as long as the senders send: cut a link whose loss keeps
	// the graph connected, then dial a new one.
	cuts, dials := 0, 0
	for op := 0; op < chaos; op++ {
		select {
		case <-sending:
			op = chaos
			continue
		default:
		}
		edges := g.edges()
		e := edges[rng.IntN(len(edges))]
		if g.connectedWithout(e) {
			if err := c.nodes[e[0]].Disconnect(c.nodes[e[1]].Name()); err == nil {
				g.remove(e[0], e[1])
				cuts++
			}
		}
		a, b := rng.IntN(nodes), rng.IntN(nodes)
		if a != b && !g.has(a, b) {
			_, err := c.nodes[a].Connect(context.Background(), c.nodes[b].Addr())
			switch {
			case err == nil:
				g.add(a, b)
				dials++
			case errors.Is(err, ErrAlreadyConnected):
				// The other side has not finished an earlier cut of this pair.
			default:
				t.Fatalf("dial n%d -> n%d: %v", a, b, err)
			}
		}
		chaosDone.inc()
	}
	chaosDone.stop()
	<-sending
	t.Logf("%d cuts and %d new links while %d nodes sent %d messages each", cuts, dials, senders, each)

	for i, r := range c.recs {
		want := senders * each
		if i < senders {
			want -= each
		}
		r.waitMessages(t, want)
	}
	c.close()
	checkExactlyOnce(t, c, sentBy)
}

// progress is a counter others can wait on.
type progress struct {
	mu      sync.Mutex
	n       int
	stopped bool
	changed chan struct{}
}

func newProgress() *progress { return &progress{changed: make(chan struct{})} }

func (p *progress) inc() {
	p.mu.Lock()
	p.n++
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
}

// stop releases every waiter for good.
func (p *progress) stop() {
	p.mu.Lock()
	p.stopped = true
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
}

// waitFor waits until the count reaches n; false if stopped before.
func (p *progress) waitFor(n int) bool {
	timeout := time.After(waitTimeout)
	for {
		p.mu.Lock()
		ok, stopped, ch := p.n >= n, p.stopped, p.changed
		p.mu.Unlock()
		if ok || stopped {
			return ok
		}
		select {
		case <-ch:
		case <-timeout:
			return false
		}
	}
}

// graph is the test's view of which links should exist.
type graph struct {
	n   int
	adj []map[int]bool
}

func newGraph(n int) *graph {
	g := &graph{n: n, adj: make([]map[int]bool, n)}
	for i := range g.adj {
		g.adj[i] = map[int]bool{}
	}
	return g
}

func (g *graph) add(a, b int)      { g.adj[a][b], g.adj[b][a] = true, true }
func (g *graph) remove(a, b int)   { delete(g.adj[a], b); delete(g.adj[b], a) }
func (g *graph) has(a, b int) bool { return g.adj[a][b] }

// edges lists each edge once, as [dialer, listener] with the lower index
// first, in a stable order.
func (g *graph) edges() [][2]int {
	var out [][2]int
	for a := 0; a < g.n; a++ {
		for b := a + 1; b < g.n; b++ {
			if g.adj[a][b] {
				out = append(out, [2]int{a, b})
			}
		}
	}
	return out
}

// connectedWithout reports whether the graph stays connected without e.
func (g *graph) connectedWithout(e [2]int) bool {
	seen := make([]bool, g.n)
	stack := []int{0}
	seen[0] = true
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for w := range g.adj[v] {
			if (v == e[0] && w == e[1]) || (v == e[1] && w == e[0]) || seen[w] {
				continue
			}
			seen[w] = true
			stack = append(stack, w)
		}
	}
	for _, s := range seen {
		if !s {
			return false
		}
	}
	return true
}
