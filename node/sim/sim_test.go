package sim

import (
	"bytes"
	"context"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/p2p-chat/p2p/node"
)

// The flood rule sends each message once over every edge except, for each
// node but the origin, the edge it arrived on: 2E - N + 1 transmissions,
// exactly, whatever the timing. Check it against the closed forms.
func TestTransmissionsMatchFormulas(t *testing.T) {
	tests := []struct {
		topology string
		n, d     int
		want     func(n int) uint64
	}{
		{"chain", 6, 0, func(n int) uint64 { return uint64(n - 1) }},
		{"ring", 7, 0, func(n int) uint64 { return uint64(n + 1) }},
		{"complete", 5, 0, func(n int) uint64 { return uint64((n - 1) * (n - 1)) }},
		{"regular", 12, 4, func(n int) uint64 { return uint64(n*(4-1) + 1) }},
	}
	for _, tt := range tests {
		t.Run(tt.topology, func(t *testing.T) {
			const messages = 20
			r, err := Run(context.Background(), Config{Nodes: tt.n, Degree: tt.d, Topology: tt.topology,
				Messages: messages, Senders: 2, Seed: 7, TextBytes: 16, Timeout: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			if want := uint64(messages * (tt.n - 1)); r.Deliveries != want {
				t.Errorf("deliveries = %d, want %d (N-1 per message)", r.Deliveries, want)
			}
			if want := messages * tt.want(tt.n); r.Transmission != want {
				t.Errorf("transmissions = %d, want %d", r.Transmission, want)
			}
			if r.Duplicates != r.Transmission-r.Deliveries {
				t.Errorf("duplicates = %d, want transmissions - deliveries = %d", r.Duplicates, r.Transmission-r.Deliveries)
			}
			if tt.topology == "regular" && r.TransmissionsPerMessage != r.RefNoSendBack {
				t.Errorf("per message %.1f, want the reference N(D-1)+1 = %.1f", r.TransmissionsPerMessage, r.RefNoSendBack)
			}
		})
	}
}

func TestJoinedTopology(t *testing.T) {
	r, err := Run(context.Background(), Config{Nodes: 12, Degree: 3, Topology: "joined", Messages: 5,
		Senders: 1, Seed: 1, TextBytes: 16, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if r.DeliveriesPerMessage != 11 {
		t.Fatalf("deliveries per message = %v, want 11", r.DeliveriesPerMessage)
	}
	if r.Degree < 3 {
		t.Fatalf("mean degree %v, want at least the target 3", r.Degree)
	}
}

// A seed repeats a joined run's graph (it used to come from racing
// dials: mean degree 3.24, 3.60, 3.70 on three runs with seed 1), and the
// graph is what auto-join promises: connected, every node at its target
// or more, none past twice the target.
func TestJoinedIsRepeatable(t *testing.T) {
	run := func(seed uint64) *Result {
		r, err := Run(context.Background(), Config{Nodes: 40, Degree: 3, Topology: "joined", Messages: 2,
			Senders: 1, Seed: seed, TextBytes: 16, Timeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b, other := run(1), run(1), run(2)
	if !slices.Equal(a.EdgeList, b.EdgeList) {
		t.Fatalf("seed 1 gave two graphs: %d and %d edges (D %.2f, %.2f)", a.Edges, b.Edges, a.Degree, b.Degree)
	}
	if slices.Equal(a.EdgeList, other.EdgeList) {
		t.Errorf("seeds 1 and 2 gave the same graph")
	}
	if !connected(40, a.EdgeList) {
		t.Fatal("the joined graph is not connected")
	}
	deg := make([]int, 40)
	for _, e := range a.EdgeList {
		deg[e[0]]++
		deg[e[1]]++
	}
	for v, k := range deg {
		if k < 3 || k > 6 {
			t.Errorf("node %d has %d peers, want 3 to 6", v, k)
		}
	}
}

// Links that go down during a run are counted, by reason, and a run that
// misses deliveries returns what it measured with an error that says so.
// The run waits out its timeout, so it runs on the fake clock of a
// synctest bubble, with the timeout p2p sim uses by default.
func TestCutLinkIsReported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := Config{Nodes: 4, Topology: "chain", Messages: 3, Senders: 1, Seed: 1, TextBytes: 16,
			Timeout: DefaultConfig().Timeout}
		cfg.afterSetup = func(nodes []*node.Node) {
			if err := nodes[1].Disconnect("n2"); err != nil {
				t.Error(err)
			}
		}
		start := time.Now()
		r, err := Run(context.Background(), cfg)
		if err == nil {
			t.Fatal("a run over a cut chain succeeded")
		}
		if took := time.Since(start); took < cfg.Timeout {
			t.Errorf("the run gave up after %v, before its timeout %v", took, cfg.Timeout)
		}
		if r == nil {
			t.Fatalf("no result with the error %v", err)
		}
		if r.LinksCut != 1 || r.PeersDisconnected != 2 || r.Missing != 6 || r.Deliveries != 3 {
			t.Errorf("links cut %d, peers disconnected %d, deliveries %d, missing %d; want 1, 2, 3, 6",
				r.LinksCut, r.PeersDisconnected, r.Deliveries, r.Missing)
		}
		for _, want := range []string{"only 3 of 9 deliveries after 5m0s", "1 links cut, 2 peers disconnected",
			"1 disconnected by user", "1 peer left"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	})
}

// Progress is reported at every phase, the last time with every delivery.
func TestProgressIsReported(t *testing.T) {
	var mu sync.Mutex
	var got []Progress
	_, err := Run(context.Background(), Config{Nodes: 6, Degree: 2, Topology: "ring", Messages: 4, Senders: 1,
		Seed: 1, TextBytes: 16, Timeout: time.Minute, Progress: func(p Progress) {
			mu.Lock()
			got = append(got, p)
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	var phases []string
	for _, p := range got {
		if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
			phases = append(phases, p.Phase)
		}
	}
	if want := []string{"starting nodes", "linking", "flooding", "closing", "done"}; !slices.Equal(phases, want) {
		t.Errorf("phases %q, want %q", phases, want)
	}
	last := got[len(got)-1]
	if last.Nodes != 6 || last.Links != 6 || last.LinksWant != 6 || last.Deliveries != 20 || last.Expected != 20 {
		t.Errorf("last progress %+v, want 6 nodes, 6 of 6 links, 20 of 20 deliveries", last)
	}
}

func TestBuildIsRepeatableAndConnected(t *testing.T) {
	for _, topo := range []string{"regular", "random"} {
		for _, d := range []int{2, 3, 4, 8} {
			a, err := Build(topo, 40, d, rand.New(rand.NewPCG(3, 3)))
			if err != nil {
				t.Fatalf("%s d=%d: %v", topo, d, err)
			}
			b, _ := Build(topo, 40, d, rand.New(rand.NewPCG(3, 3)))
			if len(a) != len(b) || !connected(40, a) {
				t.Fatalf("%s d=%d: not repeatable or not connected", topo, d)
			}
			for i := range a {
				if a[i] != b[i] {
					t.Fatalf("%s d=%d: same seed, different graphs", topo, d)
				}
			}
			if len(a) != 40*d/2 {
				t.Fatalf("%s d=%d: %d edges, want %d", topo, d, len(a), 40*d/2)
			}
			if topo == "regular" {
				deg := make([]int, 40)
				for _, e := range a {
					deg[e[0]]++
					deg[e[1]]++
				}
				for v, k := range deg {
					if k != d {
						t.Fatalf("regular d=%d: node %d has degree %d", d, v, k)
					}
				}
			}
		}
	}
}

func TestBuildRejects(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, tt := range []struct {
		topo string
		n, d int
	}{{"star", 5, 2}, {"regular", 5, 3}, {"regular", 4, 4}, {"random", 5, 1}, {"ring", 2, 2}, {"chain", 1, 0},
		{"joined", 5, 0}} {
		if _, err := Build(tt.topo, tt.n, tt.d, rng); err == nil {
			t.Errorf("Build(%s, n=%d, d=%d) succeeded, want an error", tt.topo, tt.n, tt.d)
		}
		cfg := Config{Nodes: tt.n, Degree: tt.d, Topology: tt.topo, Messages: 1, Senders: 1, TextBytes: 8, Timeout: 1}
		if err := Check(cfg); err == nil || !strings.HasPrefix(err.Error(), "-") {
			t.Errorf("Check(%s, n=%d, d=%d) = %v, want an error naming a flag", tt.topo, tt.n, tt.d, err)
		}
	}
}

// The DOT output parses back: every edge of the graph appears once, and
// exactly N-1 of them are the bold tree edges, directed away from the
// origin so that every node but the origin has one parent.
func TestDOTParsesBack(t *testing.T) {
	r, err := Run(context.Background(), Config{Nodes: 15, Degree: 4, Topology: "random", Messages: 3,
		Senders: 1, Seed: 5, TextBytes: 16, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteDOT(&buf, r); err != nil {
		t.Fatal(err)
	}
	edgeRE := regexp.MustCompile(`(?m)^\tn(\d+) -- n(\d+) \[(.*)\];$`)
	matches := edgeRE.FindAllStringSubmatch(buf.String(), -1)
	if len(matches) != r.Edges {
		t.Fatalf("DOT has %d edges, the graph %d:\n%s", len(matches), r.Edges, buf.String())
	}
	parents := map[string]int{}
	for _, m := range matches {
		if regexp.MustCompile(`penwidth`).MatchString(m[3]) {
			parents[m[2]]++
		}
	}
	if len(parents) != r.Nodes-1 {
		t.Fatalf("%d nodes have a tree parent, want N-1 = %d", len(parents), r.Nodes-1)
	}
	for child, k := range parents {
		if k != 1 || child == "0" {
			t.Fatalf("node n%s has %d tree parents (the origin n0 must have none)", child, k)
		}
	}
	if !regexp.MustCompile(`(?m)^graph flood \{$`).MatchString(buf.String()) {
		t.Fatal("not a DOT graph")
	}
}
