package broadcast

import (
	"slices"
	"testing"
)

// TestTreePrunesTheDuplicateLink: on a triangle, the link that carried a
// duplicate becomes lazy on both sides, and the next message crosses the
// tree only (N-1 = 2 sends) plus IHAVE on the lazy link.
func TestTreePrunesTheDuplicateLink(t *testing.T) {
	rules := []*Tree[int]{NewTree[int](MapSeen{}), NewTree[int](MapSeen{}), NewTree[int](MapSeen{})}
	for _, e := range [][2]int{{0, 1}, {0, 2}, {1, 2}} {
		rules[e[0]].PeerUp(e[1])
		rules[e[1]].PeerUp(e[0])
	}
	run := func(id MsgID) (gossip, control int) {
		type frame struct {
			from int
			a    Action[int]
		}
		var q []frame
		for _, a := range rules[0].Publish(id, nil) {
			q = append(q, frame{0, a})
		}
		for len(q) > 0 {
			f := q[0]
			q = q[1:]
			if f.a.Kind != Send {
				continue
			}
			if f.a.Frame == Gossip {
				gossip++
			} else {
				control++
			}
			for _, a := range rules[f.a.To].Received(f.from, f.a.Frame, id, f.a.Hops, nil) {
				q = append(q, frame{f.a.To, a})
			}
		}
		return gossip, control
	}
	if g, _ := run(MsgID{0, 1}); g != 4 {
		t.Fatalf("first message: %d payload sends, want 4 (a flood: 2E-(N-1))", g)
	}
	if !slices.Equal(rules[1].Lazy(), []int{2}) || !slices.Equal(rules[2].Lazy(), []int{1}) {
		t.Fatalf("lazy links after the first message: 1 %v, 2 %v; want the 1-2 link lazy on both sides", rules[1].Lazy(), rules[2].Lazy())
	}
	if g, c := run(MsgID{0, 2}); g != 2 || c != 2 {
		t.Fatalf("second message: %d payload and %d control sends, want 2 (the tree) and 2 (IHAVE both ways)", g, c)
	}
}

// TestTreeGraftsAMissingMessage: an IHAVE for a message that does not
// come sets a timer; when it fires the node grafts the announcer, which
// sends the message from its cache and becomes eager.
func TestTreeGraftsAMissingMessage(t *testing.T) {
	a, b := NewTree[int](MapSeen{}), NewTree[int](MapSeen{})
	a.PeerUp(1)
	b.PeerUp(0)
	b.makeLazy(0)
	id := MsgID{9, 1}
	a.Publish(id, nil) // a has it (and b, being a's peer, got it in a real run; not here)
	out := b.Received(0, IHave, id, 0, nil)
	if len(out) != 1 || out[0].Kind != SetTimer || out[0].After != DefaultGraftTimeout {
		t.Fatalf("IHAVE of a missing message: %+v, want a graft timer", out)
	}
	out = b.TimerFired(id, nil)
	if len(out) != 2 || out[0].Frame != Graft || out[0].To != 0 || out[1].Kind != SetTimer {
		t.Fatalf("timer: %+v, want GRAFT to the announcer and a second timer", out)
	}
	if !slices.Equal(b.Eager(), []int{0}) {
		t.Fatalf("b's eager peers %v, want the grafted one", b.Eager())
	}
	out = a.Received(1, Graft, id, 0, nil)
	if len(out) != 1 || out[0].Frame != Gossip || out[0].To != 1 {
		t.Fatalf("GRAFT: %+v, want the message sent from the cache", out)
	}
	if out := b.Received(0, Gossip, id, 1, nil); len(out) == 0 || out[0].Kind != Deliver {
		t.Fatalf("the grafted message: %+v, want it delivered", out)
	}
	if out := b.TimerFired(id, nil); len(out) != 0 {
		t.Fatalf("the second timer after the message came: %+v, want nothing", out)
	}
}

// TestTreePruneMakesTheLinkLazy: a PRUNE moves its sender to the lazy
// peers; a GRAFT moves it back.
func TestTreePruneMakesTheLinkLazy(t *testing.T) {
	tr := NewTree[int](MapSeen{})
	tr.PeerUp(1)
	tr.PeerUp(2)
	tr.Received(1, Prune, MsgID{1, 1}, 0, nil)
	if !slices.Equal(tr.Eager(), []int{2}) || !slices.Equal(tr.Lazy(), []int{1}) {
		t.Fatalf("after PRUNE from 1: eager %v lazy %v", tr.Eager(), tr.Lazy())
	}
	tr.Received(1, Graft, MsgID{1, 1}, 0, nil)
	if !slices.Equal(tr.Eager(), []int{2, 1}) || len(tr.Lazy()) != 0 {
		t.Fatalf("after GRAFT from 1: eager %v lazy %v", tr.Eager(), tr.Lazy())
	}
}
