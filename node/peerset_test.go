package node

import (
	"errors"
	"testing"
)

// The peer set admits, replaces, refuses and forgets peers by its rules,
// and broadcast skips the peer a message came from.
func TestPeerSetRules(t *testing.T) {
	s := newPeerSet()
	a, _ := lonePeer(t)
	never := func(*peer) bool { return false }
	if _, err := s.add(a, 2, never); err != nil {
		t.Fatalf("add to an empty set: %v", err)
	}
	a2, _ := lonePeer(t) // same node id as a
	if _, err := s.add(a2, 2, never); !errors.Is(err, ErrAlreadyConnected) {
		t.Fatalf("second peer with the same id = %v, want ErrAlreadyConnected", err)
	}
	replaced, err := s.add(a2, 2, func(old *peer) bool { return old == a })
	if err != nil || replaced != a {
		t.Fatalf("add with keepNew = %v, %v; want a replaced", replaced, err)
	}
	if _, r := a.offer("MSG 00000000000000bb-1 1 o t\n", nil); r != offerSkipped {
		t.Fatalf("the replaced peer still takes frames (%v): one could go to neither connection", r)
	}
	b, _ := lonePeer(t)
	b.info.ID = "00000000000000bb"
	if _, err := s.add(b, 2, never); err != nil {
		t.Fatalf("add a second node: %v", err)
	}
	c, _ := lonePeer(t)
	c.info.ID = "00000000000000cc"
	if _, err := s.add(c, 2, never); !errors.Is(err, ErrTooManyPeers) {
		t.Fatalf("add past max = %v, want ErrTooManyPeers", err)
	}

	if got := s.broadcast(&outMsg{plain: "MSG 00000000000000dd-1 1 o t\n"}, b); got != 1 {
		t.Fatalf("broadcast except b queued %d copies, want 1 (to a2)", got)
	}
	if a2.q.len() != 1 || b.q.len() != 0 {
		t.Fatalf("queues after broadcast: a2 %d, b %d; want 1, 0", a2.q.len(), b.q.len())
	}
	if got := b.c.relayed.Load(); got != 1 {
		t.Fatalf("b relayed %d, want 1", got)
	}

	s.remove(a2)
	if s.find(func(p *peer) bool { return p == a2 }) != nil {
		t.Fatal("a removed peer is still found")
	}
	if st := s.stats(); st.Peers != 1 || st.MsgsOut != 1 || st.Forwarded != 1 {
		t.Fatalf("stats after remove: %d peers, %d msgs out, %d forwarded; want 1, 1 (kept from a2), 1", st.Peers, st.MsgsOut, st.Forwarded)
	}
	if ps := s.close(); len(ps) != 1 || ps[0] != b {
		t.Fatalf("close returned %v, want [b]", ps)
	}
	if _, err := s.add(c, 2, never); !errors.Is(err, ErrClosed) {
		t.Fatalf("add after close = %v, want ErrClosed", err)
	}
	s.wg.Add(-2 * 3) // the goroutines of a, a2 and b were counted but never started
}
