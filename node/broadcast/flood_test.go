package broadcast

import "testing"

// drive runs flood rules of n nodes on edges until no message is in
// flight, delivering sends in FIFO order, and returns deliveries per node
// and the number of sends.
func drive(t *testing.T, n int, edges [][2]int, maxHops int, from int, id MsgID) (delivered []int, sends int) {
	t.Helper()
	rules := make([]*Flood[int], n)
	for i := range rules {
		rules[i] = NewFlood[int](MapSeen{}, maxHops)
	}
	for _, e := range edges {
		rules[e[0]].PeerUp(e[1])
		rules[e[1]].PeerUp(e[0])
	}
	type inflight struct{ from, to, hops int }
	delivered = make([]int, n)
	var queue []inflight
	for _, a := range rules[from].Publish(id, nil) {
		queue = append(queue, inflight{from, a.To, a.Hops})
	}
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 1_000_000 {
			t.Fatal("the flood does not end")
		}
		m := queue[0]
		queue = queue[1:]
		sends++
		for _, a := range rules[m.to].Received(m.from, Gossip, id, m.hops, nil) {
			switch a.Kind {
			case Deliver:
				delivered[m.to]++
			case Send:
				if a.To == m.from {
					t.Fatalf("node %d sent the message back to %d, where it came from", m.to, m.from)
				}
				queue = append(queue, inflight{m.to, a.To, a.Hops})
			}
		}
	}
	return delivered, sends
}

func TestFloodDeliversOnceAroundCycles(t *testing.T) {
	complete4 := [][2]int{{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}}
	delivered, sends := drive(t, 4, complete4, 0, 0, MsgID{1, 1})
	if delivered[0] != 0 || delivered[1] != 1 || delivered[2] != 1 || delivered[3] != 1 {
		t.Fatalf("deliveries %v, want once at every node but the sender", delivered)
	}
	// Every node sends to all its peers but the one it heard from first;
	// the origin to all: 2E - (N-1).
	if want := 2*len(complete4) - 3; sends != want {
		t.Fatalf("%d sends, want 2E-(N-1) = %d", sends, want)
	}
}

func TestFloodHopLimit(t *testing.T) {
	chain := [][2]int{{0, 1}, {1, 2}, {2, 3}}
	delivered, _ := drive(t, 4, chain, 2, 0, MsgID{1, 1})
	if delivered[1] != 1 || delivered[2] != 1 || delivered[3] != 0 {
		t.Fatalf("deliveries %v with a hop limit of 2, want nodes 1 and 2 only", delivered)
	}
}

func TestFloodPeersComeAndGo(t *testing.T) {
	f := NewFlood[int](MapSeen{}, 0)
	f.PeerUp(1)
	f.PeerUp(2)
	f.PeerUp(1)
	f.PeerDown(1)
	out := f.Publish(MsgID{1, 1}, nil)
	if len(out) != 1 || out[0].To != 2 || out[0].Kind != Send || out[0].Hops != 1 {
		t.Fatalf("publish after peers 1, 2, 1 up and 1 down: %+v, want one send to 2", out)
	}
	if out := f.Received(2, Gossip, MsgID{1, 1}, 1, nil); len(out) != 0 {
		t.Fatalf("our own message back: %+v, want nothing", out)
	}
}
