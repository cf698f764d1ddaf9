package sim

import (
	"bytes"
	"context"
	"math/rand/v2"
	"regexp"
	"testing"
	"time"
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
	}{{"star", 5, 2}, {"regular", 5, 3}, {"regular", 4, 4}, {"random", 5, 1}, {"ring", 2, 2}, {"chain", 1, 0}} {
		if _, err := Build(tt.topo, tt.n, tt.d, rng); err == nil {
			t.Errorf("Build(%s, n=%d, d=%d) succeeded, want an error", tt.topo, tt.n, tt.d)
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
