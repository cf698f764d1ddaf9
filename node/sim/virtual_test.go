package sim

import (
	"context"
	"reflect"
	"testing"
	"time"
)

// TestVirtualAgreesWithReal: the virtual-clock engine (the broadcast
// package's flood rule) and the real one (nodes over memnet) give the same
// flood transmissions and deliveries for the same topology and seed.
func TestVirtualAgreesWithReal(t *testing.T) {
	for _, topo := range []string{"ring", "regular", "random", "complete"} {
		cfg := DefaultConfig()
		cfg.Nodes, cfg.Degree, cfg.Topology, cfg.Messages, cfg.Senders, cfg.Seed = 12, 4, topo, 5, 2, 7
		real, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatalf("%s: real: %v", topo, err)
		}
		virt, err := RunVirtual(VirtualConfig{Config: cfg, Latency: 10 * time.Millisecond, Jitter: 5 * time.Millisecond})
		if err != nil {
			t.Fatalf("%s: virtual: %v", topo, err)
		}
		if real.Edges != virt.Edges || real.Transmission != virt.Transmission || real.Deliveries != virt.Deliveries || real.Duplicates != virt.Duplicates {
			t.Errorf("%s: real %d edges, %d transmissions, %d deliveries, %d duplicates; virtual %d, %d, %d, %d",
				topo, real.Edges, real.Transmission, real.Deliveries, real.Duplicates,
				virt.Edges, virt.Transmission, virt.Deliveries, virt.Duplicates)
		}
		// Flood on a connected graph: every node sends to all its peers but
		// the one it heard from first, the origin to all: 2E-(N-1) a message.
		if want := uint64(cfg.Messages * (2*virt.Edges - (cfg.Nodes - 1))); virt.Transmission != want {
			t.Errorf("%s: %d transmissions, want %d", topo, virt.Transmission, want)
		}
	}
}

// TestVirtualIsDeterministic: the same seed gives the same numbers; the
// virtual clock measures what the latency model says.
func TestVirtualIsDeterministic(t *testing.T) {
	cfg := VirtualConfig{Config: DefaultConfig(), Latency: 10 * time.Millisecond, Jitter: 5 * time.Millisecond}
	cfg.Nodes, cfg.Degree, cfg.Topology, cfg.Messages = 500, 5, "random", 20
	a, err := RunVirtual(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := RunVirtual(cfg)
	strip := func(r *Result) Result {
		c := *r
		c.Seconds, c.SetupSeconds, c.PeakRSSBytes = 0, 0, 0
		return c
	}
	if !reflect.DeepEqual(strip(a), strip(b)) {
		t.Fatal("two runs with the same seed differ")
	}
	tree := cfg
	tree.Mode, tree.Kill, tree.Senders = "tree", 0.1, 3
	x, _ := RunVirtual(tree)
	y, _ := RunVirtual(tree)
	if !reflect.DeepEqual(strip(x), strip(y)) || x.Prunes == 0 {
		t.Fatal("tree mode, 10% killed: two runs with the same seed differ")
	}
	if a.Missing != 0 || a.SpreadP50 < 10*time.Millisecond || a.SpreadMax > 100*15*time.Millisecond {
		t.Fatalf("missing %d, spread p50 %v max %v: not what 10 ms + up to 5 ms a link gives", a.Missing, a.SpreadP50, a.SpreadMax)
	}
	cfg.Seed++
	c, _ := RunVirtual(cfg)
	if reflect.DeepEqual(strip(a), strip(c)) {
		t.Fatal("another seed gives the very same run")
	}
}
