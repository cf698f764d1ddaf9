package broadcast

import "slices"

// Flood is the tutorial's rule: a message seen for the first time is
// delivered and sent to every peer but the one it came from; a message
// seen before is dropped, so cycles end. A message that has crossed
// MaxHops links is delivered but not sent on.
type Flood[P comparable] struct {
	MaxHops int
	seen    Seen
	peers   []P
}

// NewFlood returns a flood rule over seen; maxHops 0 means no limit.
func NewFlood[P comparable](seen Seen, maxHops int) *Flood[P] {
	return &Flood[P]{MaxHops: maxHops, seen: seen}
}

func (f *Flood[P]) PeerUp(p P) {
	if !slices.Contains(f.peers, p) {
		f.peers = append(f.peers, p)
	}
}

func (f *Flood[P]) PeerDown(p P) {
	if i := slices.Index(f.peers, p); i >= 0 {
		f.peers = slices.Delete(f.peers, i, i+1)
	}
}

// Peers returns the peers the rule sends to, in the order they came up.
func (f *Flood[P]) Peers() []P { return f.peers }

func (f *Flood[P]) Publish(id MsgID, out []Action[P]) []Action[P] {
	f.seen.Add(id)
	return f.forward(nil, false, id, 1, out)
}

func (f *Flood[P]) Received(from P, fr Frame, id MsgID, hops int, out []Action[P]) []Action[P] {
	if fr != Gossip || !f.seen.Add(id) {
		return out // a flood node ignores a tree's control frames
	}
	out = append(out, Action[P]{Kind: Deliver, ID: id, Hops: hops})
	if f.MaxHops > 0 && hops >= f.MaxHops {
		return out
	}
	return f.forward(&from, true, id, hops+1, out)
}

// TimerFired: the flood rule sets no timers.
func (f *Flood[P]) TimerFired(id MsgID, out []Action[P]) []Action[P] { return out }

// forward sends id to every peer but from (when hasFrom).
func (f *Flood[P]) forward(from *P, hasFrom bool, id MsgID, hops int, out []Action[P]) []Action[P] {
	for _, p := range f.peers {
		if hasFrom && p == *from {
			continue
		}
		out = append(out, Action[P]{Kind: Send, To: p, Frame: Gossip, ID: id, Hops: hops})
	}
	return out
}

// MapSeen is a Seen over a map, for tests and small drivers.
type MapSeen map[MsgID]struct{}

func (s MapSeen) Add(id MsgID) bool {
	if _, ok := s[id]; ok {
		return false
	}
	s[id] = struct{}{}
	return true
}

func (s MapSeen) Has(id MsgID) bool {
	_, ok := s[id]
	return ok
}
