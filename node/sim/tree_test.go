package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/p2p-chat/p2p/node/broadcast"
)

// TestTreeGoals: Plumtree on the virtual clock, N = 1,000, D = 5 regular,
// 100 messages: every message reaches every node, and after 5 warm-up
// messages the payload redundancy is RMR ≤ 0.05 with one sender and ≤ 0.5
// with ten (issue 12's goals; flooding gives D-2 = 3).
func TestTreeGoals(t *testing.T) {
	for _, c := range []struct {
		senders int
		maxRMR  float64
	}{{1, 0.05}, {10, 0.5}} {
		cfg := VirtualConfig{Config: DefaultConfig(), Latency: 10 * time.Millisecond, Jitter: 5 * time.Millisecond, Mode: "tree", Warmup: 5}
		cfg.Nodes, cfg.Degree, cfg.Topology, cfg.Messages, cfg.Senders = 1000, 5, "regular", 100, c.senders
		r, err := RunVirtual(cfg)
		if err != nil {
			t.Fatal(err)
		}
		flood := cfg
		flood.Mode = "flood"
		f, _ := RunVirtual(flood)
		t.Logf("%d senders: tree RMR %.3f (after warm-up %.3f), %d control frames (%d PRUNE, %d GRAFT), last delivery's hops p50 %d max %d; flood RMR %.3f, hops p50 %d max %d",
			c.senders, r.RMR, r.RMRAfterWarmup, r.ControlTransmissions, r.Prunes, r.Grafts, r.LastHopsP50, r.LastHopsMax, f.RMR, f.LastHopsP50, f.LastHopsMax)
		if r.Missing != 0 {
			t.Errorf("%d senders: %d deliveries missing", c.senders, r.Missing)
		}
		if r.RMRAfterWarmup > c.maxRMR {
			t.Errorf("%d senders: RMR after warm-up %.3f, want at most %.2f", c.senders, r.RMRAfterWarmup, c.maxRMR)
		}
		if r.LastHopsMax > f.LastHopsMax+2 {
			t.Errorf("%d senders: the last delivery crossed up to %d links in the tree, %d in the flood: want at most 2 more", c.senders, r.LastHopsMax, f.LastHopsMax)
		}
	}
}

// TestRepairAfterKill: 10% of the nodes die halfway; every survivor still
// gets every later message, in flood and in tree mode (the tree repairs
// itself through IHAVE and GRAFT), and no message takes more than two
// graft timeouts (2 x 80 ms) longer to spread than the median.
func TestRepairAfterKill(t *testing.T) {
	for _, mode := range []string{"flood", "tree"} {
		cfg := VirtualConfig{Config: DefaultConfig(), Latency: 10 * time.Millisecond, Jitter: 5 * time.Millisecond, Mode: mode, Kill: 0.1}
		cfg.Nodes, cfg.Degree, cfg.Topology, cfg.Messages = 1000, 5, "regular", 40
		r, err := RunVirtual(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d killed, %d of %d deliveries, spread p50 %v max %v", mode, r.Killed, r.Deliveries, r.Expected, r.SpreadP50, r.SpreadMax)
		if r.Killed != 100 || r.Missing != 0 {
			t.Fatalf("%s: %d killed, %d deliveries missing; want 100 killed and none missing", mode, r.Killed, r.Missing)
		}
		if r.SpreadMax > r.SpreadP50+2*broadcast.DefaultGraftTimeout {
			t.Errorf("%s: the slowest message took %v against a median of %v: the repair took more than two graft timeouts", mode, r.SpreadMax, r.SpreadP50)
		}
	}
}

// TestTreeDOTDrawsTheEagerTree: -dot in tree mode draws the settled eager
// tree: N-1 bold edges, the rest dashed.
func TestTreeDOTDrawsTheEagerTree(t *testing.T) {
	cfg := VirtualConfig{Config: DefaultConfig(), Latency: 10 * time.Millisecond, Mode: "tree"}
	cfg.Nodes, cfg.Degree, cfg.Topology, cfg.Messages = 30, 4, "regular", 10
	r, err := RunVirtual(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteDOT(&b, r); err != nil {
		t.Fatal(err)
	}
	if bold := strings.Count(b.String(), "penwidth=2.5"); bold != cfg.Nodes-1 || r.FirstFromMessage != cfg.Messages-1 ||
		!strings.Contains(b.String(), "eager tree (message 9") {
		t.Fatalf("%d bold edges of message %d, want %d of the last:\n%s", bold, r.FirstFromMessage, cfg.Nodes-1, b.String())
	}
}

// TestDOTBothTrees: -mode both's picture has every edge once, N-1 of them
// in each tree (black ones count for both).
func TestDOTBothTrees(t *testing.T) {
	cfg := VirtualConfig{Config: DefaultConfig(), Latency: 10 * time.Millisecond, Jitter: 5 * time.Millisecond}
	cfg.Nodes, cfg.Degree, cfg.Topology, cfg.Messages = 30, 4, "regular", 10
	f, _ := RunVirtual(cfg)
	cfg.Mode = "tree"
	tr, _ := RunVirtual(cfg)
	var b strings.Builder
	if err := WriteDOTBoth(&b, f, tr); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	black, blue, red := strings.Count(out, "color=black"), strings.Count(out, "color=blue"), strings.Count(out, "color=red")
	if black+blue != cfg.Nodes-1 || black+red != cfg.Nodes-1 || strings.Count(out, " -- ") != len(f.EdgeList) {
		t.Fatalf("black %d blue %d red %d of %d edges; want N-1 = %d in each tree:\n%s", black, blue, red, len(f.EdgeList), cfg.Nodes-1, out)
	}
}

// TestTreeRecoversLostFrames: with 1% of all frames lost on the links,
// the tree still delivers everything (a message whose copy was lost is
// announced by IHAVE on a lazy link and asked for by GRAFT).
func TestTreeRecoversLostFrames(t *testing.T) {
	cfg := VirtualConfig{Config: DefaultConfig(), Latency: 10 * time.Millisecond, Jitter: 5 * time.Millisecond, Mode: "tree", Loss: 0.01, Warmup: 5}
	cfg.Nodes, cfg.Degree, cfg.Topology, cfg.Messages = 1000, 5, "regular", 100
	r, err := RunVirtual(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d frames lost, %d GRAFT, RMR after warm-up %.3f, %d deliveries missing", r.LostFrames, r.Grafts, r.RMRAfterWarmup, r.Missing)
	if r.LostFrames == 0 || r.Grafts == 0 || r.Missing != 0 {
		t.Fatalf("%d frames lost, %d GRAFT, %d deliveries missing: want losses repaired by GRAFT, none missing", r.LostFrames, r.Grafts, r.Missing)
	}
}

// TestOfflineNodesCatchUp: a tenth of the nodes are away for the middle
// third of the messages; when they come back, catch-up brings them every
// message they missed, in flood and in tree mode.
func TestOfflineNodesCatchUp(t *testing.T) {
	for _, mode := range []string{"flood", "tree"} {
		cfg := VirtualConfig{Config: DefaultConfig(), Latency: 10 * time.Millisecond, Jitter: 5 * time.Millisecond, Mode: mode, Offline: 0.1}
		cfg.Nodes, cfg.Degree, cfg.Topology, cfg.Messages = 1000, 5, "regular", 30
		r, err := RunVirtual(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d away; catch-up sent %d, %d new; %d deliveries missing", mode, r.Offline, r.CatchupTransmissions, r.CatchupDeliveries, r.Missing)
		if r.Offline != 100 || r.Missing != 0 || r.CatchupDeliveries != 100*10 || r.CatchupTransmissions < r.CatchupDeliveries {
			t.Fatalf("%s: %d away, %d new by catch-up (%d sent), %d missing; want 100 away, each getting the 10 messages of the window, none missing",
				mode, r.Offline, r.CatchupDeliveries, r.CatchupTransmissions, r.Missing)
		}
	}
}

// TestPartitionHeals: the two halves are cut apart for the middle third
// of the messages, both sending; when the links heal, catch-up across
// them and the flood on of what was new bring every node every message,
// in flood and in tree mode.
func TestPartitionHeals(t *testing.T) {
	for _, mode := range []string{"flood", "tree"} {
		cfg := VirtualConfig{Config: DefaultConfig(), Latency: 10 * time.Millisecond, Jitter: 5 * time.Millisecond, Mode: mode, Partition: true}
		cfg.Nodes, cfg.Degree, cfg.Topology, cfg.Messages = 1000, 5, "regular", 30
		r, err := RunVirtual(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d links cut; catch-up sent %d, %d deliveries after the heal; %d missing", mode, r.CutLinks, r.CatchupTransmissions, r.CatchupDeliveries, r.Missing)
		// In the window a message reaches at most its own half: the 500
		// nodes of the other (and any of its own half the cut left out of
		// reach) get its 10 messages after the heal.
		if r.CutLinks == 0 || r.Missing != 0 || r.CatchupDeliveries < 10*500 {
			t.Fatalf("%s: %d links cut, %d deliveries after the heal, %d missing; want some cut, at least 5,000, none missing", mode, r.CutLinks, r.CatchupDeliveries, r.Missing)
		}
	}
}
