package node

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// peerSet is the node's connected peers: it owns the map by node id, the
// ordered snapshot the flood path reads without a lock, the fan-out lock,
// the counters of peers that are gone, and the goroutines of its peers.
//
// Lock order: mu, then fanOut. Nothing waits or calls the network while
// holding either: what must happen to a peer because of a change (hang up
// a replaced peer, disconnect a slow one) is collected and done after
// unlocking.
type peerSet struct {
	// fanOut is held while a frame is queued to every peer (broadcast) and
	// while the snapshot is switched, so every peer's queue gets this
	// node's frames in the same order: a message this node sends is never
	// overtaken, on any link, by a reply to it that this node forwards.
	fanOut sync.Mutex

	// list is the snapshot the flood path reads; it is replaced under mu
	// and fanOut whenever byID changes.
	list atomic.Pointer[[]*peer]

	// wg counts the peers' reader and writer goroutines.
	wg sync.WaitGroup

	// mu guards the fields below.
	mu      sync.Mutex
	byID    map[string]*peer
	closed  bool  // close was called: add refuses
	retired Stats // counters of peers that are gone
}

func newPeerSet() *peerSet {
	s := &peerSet{byID: make(map[string]*peer)}
	s.list.Store(&[]*peer{})
	return s
}

// snapshot returns the connected peers, in no particular order. The slice
// is shared: do not change it.
func (s *peerSet) snapshot() []*peer { return *s.list.Load() }

// find returns a connected peer that match accepts, or nil.
func (s *peerSet) find(match func(*peer) bool) *peer {
	for _, p := range s.snapshot() {
		if match(p) {
			return p
		}
	}
	return nil
}

// add admits p unless the set is closed, p's node is already connected
// (unless keepNew says the new connection wins; then the old one is
// returned, its queue already closed in the same step as the switch, for
// the caller to hang up), or the set holds max peers and no inbound peer
// can make room (see evictee; the one that does is returned the same way).
// On success it counts p's two goroutines, which the caller must start.
func (s *peerSet) add(p *peer, max int, keepNew func(old *peer) bool) (replaced *peer, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.byID[p.info.ID]
	switch {
	case s.closed:
		return nil, ErrClosed
	case old != nil && keepNew(old):
		replaced = old
	case old != nil:
		return nil, fmt.Errorf("%w to %s (node %s)", ErrAlreadyConnected, old.info.Name, p.info.ID)
	case s.live() >= max:
		if replaced = s.evictee(); replaced == nil {
			return nil, fmt.Errorf("%w: the limit is %d", ErrTooManyPeers, max)
		}
		delete(s.byID, replaced.info.ID) // it stops counting now; unregister keeps its counters
	}
	// The switch is one step for the fan-out: a frame goes either to the
	// old connection's queue (which its hang-up flushes) or to the new
	// one, never to neither.
	s.fanOut.Lock()
	if replaced != nil {
		replaced.stopTaking()
	}
	s.byID[p.info.ID] = p
	s.publishLocked()
	s.fanOut.Unlock()
	s.wg.Add(2)
	return replaced, nil
}

// canAdmit reports whether a new peer could come in now: the set holds
// fewer than max, or an inbound peer would make room (see evictee).
func (s *peerSet) canAdmit(max int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.closed && (s.live() < max || s.evictee() != nil)
}

// live is the number of peers in the set. The caller holds mu.
func (s *peerSet) live() int { return len(s.byID) }

// evictee picks the peer that makes room when the set is full: an inbound
// peer, never one this node dialled, never one of the two connected
// longest, nor of the two that brought the most messages first; of the
// others, the one that brought the fewest (Delivered), the newest among
// equals. So an attacker who fills the free slots cannot push out the
// peers that were there before it or that carry the traffic (Bitcoin
// protects peers by uptime and usefulness in the same way). nil when
// there are no more than four inbound peers. The caller holds mu.
func (s *peerSet) evictee() *peer {
	var inbound []*peer
	for _, p := range s.byID {
		if p.info.Inbound {
			inbound = append(inbound, p)
		}
	}
	const protected = 2 // by age, and by messages brought
	if len(inbound) <= 2*protected {
		return nil // a small node refuses instead (and names others)
	}
	// Protect the longest connected, then the ones that brought most.
	slices.SortFunc(inbound, func(a, b *peer) int { return a.since.Compare(b.since) })
	rest := inbound[protected:]
	slices.SortFunc(rest, func(a, b *peer) int {
		return cmp.Or(cmp.Compare(a.c.delivered.Load(), b.c.delivered.Load()), b.since.Compare(a.since))
	})
	return rest[0] // the two last of rest, which brought most, are never reached: len(rest) > protected
}

// remove takes p out of the set, if it is still the one for its node id,
// and keeps its counters.
func (s *peerSet) remove(p *peer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byID[p.info.ID] == p {
		delete(s.byID, p.info.ID)
		s.fanOut.Lock()
		s.publishLocked()
		s.fanOut.Unlock()
	}
	p.addCounters(&s.retired)
}

// publishLocked replaces the snapshot. The caller holds mu and fanOut.
func (s *peerSet) publishLocked() {
	ps := make([]*peer, 0, len(s.byID))
	for _, p := range s.byID {
		ps = append(ps, p)
	}
	s.list.Store(&ps)
}

// close refuses further peers and returns the connected ones, for the
// node to hang up on; wait then waits for their goroutines.
func (s *peerSet) close() []*peer {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	ps := make([]*peer, 0, len(s.byID))
	for _, p := range s.byID {
		ps = append(ps, p)
	}
	return ps
}

func (s *peerSet) wait() { s.wg.Wait() }

// stats returns the counters of the peers that are gone plus those of the
// connected ones, and how many are connected.
func (s *peerSet) stats() Stats {
	s.mu.Lock()
	st := s.retired
	ps := make([]*peer, 0, len(s.byID))
	for _, p := range s.byID {
		ps = append(ps, p)
	}
	s.mu.Unlock()
	for _, p := range ps {
		p.addCounters(&st)
	}
	st.Peers = len(ps)
	return st
}

// broadcast queues m to every peer but except, in the form its link
// carries (see outMsg), (the peer it came from;
// nil for our own message) and returns how many took it. The fan-out is
// one step under fanOut that never waits: a queue past its bound takes the
// frame anyway. After unlocking, broadcast waits for room in the queues
// past their bound (see sendQueue), so backpressure reaches the reader (or
// Send) without holding up the rest of the node, and disconnects peers
// found slow.
func (s *peerSet) broadcast(m *outMsg, except *peer) int { return s.broadcastSkip(m, except, nil) }

// broadcastSkip is broadcast to every peer but except and those in skip
// (tree mode: the lazy peers, which get IHAVE instead).
func (s *peerSet) broadcastSkip(m *outMsg, except *peer, skip []*peer) int {
	type waiter struct {
		p *peer
		t ticket
	}
	var waitBuf [8]waiter
	waits := waitBuf[:0]
	var slow []*peer
	copies := 0
	s.fanOut.Lock()
	for _, p := range *s.list.Load() {
		if p == except || len(skip) > 0 && slices.Contains(skip, p) {
			continue
		}
		line := m.lineFor(p.signed())
		if line == "" {
			continue
		}
		t, r := p.offer(line, except)
		switch r {
		case offerQueued:
			copies++
		case offerFull:
			copies++
			waits = append(waits, waiter{p, t})
		case offerStalled:
			slow = append(slow, p)
		}
	}
	s.fanOut.Unlock()
	for _, p := range slow {
		p.slow()
	}
	for _, w := range waits {
		w.p.awaitRoom(w.t, except != nil)
	}
	return copies
}
