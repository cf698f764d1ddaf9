package broadcast

import (
	"slices"
	"testing"
	"time"
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
	if !slices.Equal(rules[1].Lazy(0), []int{2}) || !slices.Equal(rules[2].Lazy(0), []int{1}) {
		t.Fatalf("lazy links after the first message: 1 %v, 2 %v; want the 1-2 link lazy on both sides", rules[1].Lazy(0), rules[2].Lazy(0))
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
	id := MsgID{9, 1}
	b.makeLazy(id.Origin, 0)
	a.Publish(id, nil) // a has it (and b, being a's peer, got it in a real run; not here)
	out := b.Received(0, IHave, id, 0, nil)
	if len(out) != 1 || out[0].Kind != SetTimer || out[0].After != DefaultGraftTimeout {
		t.Fatalf("IHAVE of a missing message: %+v, want a graft timer", out)
	}
	out = b.TimerFired(id, nil)
	if len(out) != 2 || out[0].Frame != Graft || out[0].To != 0 || out[1].Kind != SetTimer {
		t.Fatalf("timer: %+v, want GRAFT to the announcer and a second timer", out)
	}
	if !slices.Equal(b.Eager(9), []int{0}) {
		t.Fatalf("b's eager peers %v, want the grafted one", b.Eager(9))
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
	if !slices.Equal(tr.Eager(1), []int{2}) || !slices.Equal(tr.Lazy(1), []int{1}) {
		t.Fatalf("after PRUNE from 1: eager %v lazy %v", tr.Eager(1), tr.Lazy(1))
	}
	if !slices.Equal(tr.Eager(7), []int{1, 2}) {
		t.Fatalf("another origin's tree: eager %v, want both (trees are per origin)", tr.Eager(7))
	}
	tr.Received(1, Graft, MsgID{1, 1}, 0, nil)
	if !slices.Equal(tr.Eager(1), []int{1, 2}) || len(tr.Lazy(1)) != 0 {
		t.Fatalf("after GRAFT from 1: eager %v lazy %v", tr.Eager(1), tr.Lazy(1))
	}
}

// TestTreeOptimisesAShorterPath: a lazy peer announcing a message over at
// least Threshold fewer hops than it came becomes eager for its origin
// (GRAFT asking for no message), and the peer it came from lazy (PRUNE);
// a smaller gain changes nothing.
func TestTreeOptimisesAShorterPath(t *testing.T) {
	tr := NewTree[int](MapSeen{})
	tr.PeerUp(1)
	tr.PeerUp(2)
	tr.makeLazy(5, 2)
	id := MsgID{5, 1}
	tr.Received(1, Gossip, id, 6, nil)
	if out := tr.Received(2, IHave, id, 4, nil); len(out) != 0 {
		t.Fatalf("IHAVE 2 hops shorter: %+v, want nothing (the threshold is %d)", out, DefaultThreshold)
	}
	out := tr.Received(2, IHave, id, 3, nil)
	want := []Action[int]{{Kind: Send, To: 2, Frame: Graft, ID: MsgID{Origin: 5}}, {Kind: Send, To: 1, Frame: Prune, ID: MsgID{Origin: 5}}}
	if !slices.Equal(out, want) {
		t.Fatalf("IHAVE 3 hops shorter: %+v, want %+v", out, want)
	}
	if !slices.Equal(tr.Eager(5), []int{2}) || !slices.Equal(tr.Lazy(5), []int{1}) {
		t.Fatalf("after the swap: eager %v lazy %v", tr.Eager(5), tr.Lazy(5))
	}
	if out := tr.Received(1, IHave, id, 1, nil); len(out) != 0 {
		t.Fatalf("a second swap for the same message: %+v, want none", out)
	}
	// The GRAFT asking for no message makes the link eager and sends nothing.
	if out := tr.Received(1, Graft, MsgID{Origin: 5}, 0, nil); len(out) != 0 || !tr.IsEager(5, 1) {
		t.Fatalf("GRAFT without a message: %+v, eager %v", out, tr.Eager(5))
	}
}

// TestTreePushesAGraftedMessageToEveryPeer: a message that came by GRAFT
// goes whole to every other peer, lazy ones too, so a cut-off subtree is
// repaired in one step.
func TestTreePushesAGraftedMessageToEveryPeer(t *testing.T) {
	tr := NewTree[int](MapSeen{})
	for p := 1; p <= 3; p++ {
		tr.PeerUp(p)
		tr.makeLazy(5, p)
	}
	id := MsgID{5, 1}
	tr.Received(1, IHave, id, 2, nil)
	tr.TimerFired(id, nil)
	var gossip []int
	for _, a := range tr.Received(1, Gossip, id, 2, nil) {
		if a.Kind == Send && a.Frame == Gossip {
			gossip = append(gossip, a.To)
		}
	}
	if !slices.Equal(gossip, []int{2, 3}) {
		t.Fatalf("a grafted message went whole to %v, want every other peer [2 3]", gossip)
	}
}

// TestTreeBounds: announcements of missing messages past MaxMissing are
// ignored, and past MaxOrigins the least recently used origin's tree is
// forgotten (its links eager again).
func TestTreeBounds(t *testing.T) {
	tr := NewTree[int](MapSeen{})
	tr.MaxMissing, tr.MaxOrigins = 2, 2
	tr.PeerUp(1)
	for seq := uint64(1); seq <= 3; seq++ {
		tr.Received(1, IHave, MsgID{9, seq}, 1, nil)
	}
	if len(tr.missed) != 2 {
		t.Fatalf("%d missing messages waited for, want the bound 2", len(tr.missed))
	}
	for origin := uint64(1); origin <= 3; origin++ {
		tr.Received(1, Prune, MsgID{origin, 1}, 0, nil)
	}
	if len(tr.origins) != 2 || !tr.IsEager(1, 1) || tr.IsEager(3, 1) {
		t.Fatalf("%d origins kept; peer 1 eager for origin 1: %v, for 3: %v; want 2 kept, the oldest forgotten", len(tr.origins), tr.IsEager(1, 1), tr.IsEager(3, 1))
	}
}

// TestTreeAsksAgainThenGivesUp: when every announcer of a missing message
// has been asked and none answered, they are asked again, each round
// waiting twice as long; after GraftRounds rounds the rule gives up with a
// Lost action. An announcer that goes away is not asked.
func TestTreeAsksAgainThenGivesUp(t *testing.T) {
	tr := NewTree[int](MapSeen{})
	for p := 1; p <= 3; p++ {
		tr.PeerUp(p)
	}
	id := MsgID{9, 1}
	tr.Received(1, IHave, id, 2, nil)
	tr.Received(2, IHave, id, 2, nil)
	tr.Received(3, IHave, id, 2, nil)
	tr.PeerDown(3)
	var asked []int
	var waits []time.Duration
	lost := false
	for range 20 {
		out := tr.TimerFired(id, nil)
		if len(out) == 1 && out[0].Kind == Lost {
			lost = true
			break
		}
		if len(out) != 2 || out[0].Frame != Graft || out[1].Kind != SetTimer {
			t.Fatalf("timer: %+v, want GRAFT and a timer", out)
		}
		asked = append(asked, out[0].To)
		waits = append(waits, out[1].After)
	}
	wantAsked := []int{1, 2, 1, 2, 1, 2, 1, 2}
	if !lost || !slices.Equal(asked, wantAsked) {
		t.Fatalf("asked %v then lost %v; want %v then Lost", asked, lost, wantAsked)
	}
	if waits[0] != DefaultSecondTimeout || waits[2] != 2*DefaultSecondTimeout || waits[7] != 8*DefaultSecondTimeout {
		t.Fatalf("waits %v: want each round twice as long as the one before", waits)
	}
	if out := tr.TimerFired(id, nil); len(out) != 0 {
		t.Fatalf("a timer after giving up: %+v", out)
	}
}
