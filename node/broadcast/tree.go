package broadcast

import (
	"slices"
	"time"
)

// Tree is Plumtree (Leitão, Pereira, Rodrigues, "Epidemic Broadcast
// Trees", 2007): the flood builds its own spanning tree as it goes. A
// node's peers are eager (they get the whole message) or lazy (they get
// IHAVE, its id). A node that gets a copy it already has tells the sender
// to PRUNE (the link becomes lazy on both sides); a node that hears IHAVE
// for a message that does not come within GraftTimeout asks the announcer
// with GRAFT (the link becomes eager and the message is sent), trying the
// next announcer after SecondTimeout. New peers start eager, so a network
// starts as a flood and settles to a tree: about N-1 sends a message.
//
// Unlike the paper's single tree, a Tree keeps one per origin (at most
// MaxOrigins, the least recently used forgotten first): the first copy of
// an origin's message comes by the fastest path, so each origin's tree is
// close to a shortest-path tree and a message crosses about as many links
// as in a flood, whoever sends it. One shared tree makes the paths of
// every sender but the one it grew from long (15 hops where a flood takes
// 7, on 1,000 nodes of degree 5 with ten senders; see docs/bandwidth.md).
// The cost: an origin's first message is flooded, and a link's state is
// kept per origin (its lazy links only, a few bytes).
type Tree[P comparable] struct {
	GraftTimeout  time.Duration
	SecondTimeout time.Duration
	CacheSize     int // messages kept to answer GRAFT
	MaxMissing    int // messages announced but not received that are waited for; more are ignored
	MaxOrigins    int // origins whose tree is kept
	// Threshold turns on the optimisation: a lazy peer whose IHAVE shows
	// a path at least Threshold hops shorter than the one the message took
	// becomes eager, and the eager peer it came from lazy. 0 turns it off.
	Threshold int
	// Ignored counts announcements of missing messages ignored because
	// MaxMissing were already waited for.
	Ignored uint64

	seen       Seen
	peers      []P
	origins    map[uint64]*originTree[P]
	last       *originTree[P] // the tree find returned last, of lastOrigin
	lastOrigin uint64
	clock      uint64                // counts uses of origins, for forgetting the least recent
	missed     map[MsgID]*missing[P] // messages announced but not received yet, timer set
	cache      map[MsgID]arrival[P]  // messages received, to answer GRAFT and to optimise
	order      []MsgID               // cache in arrival order, to bound it
}

// originTree is one origin's tree at this node: its peers that are lazy
// for it (the others are eager).
type originTree[P comparable] struct {
	lazy    []P
	lastUse uint64
	// The origin's latest message received and how it came: the one
	// IHAVEs are mostly about (found without the cache's map).
	recentSeq uint64
	recent    arrival[P]
}

// missing is a message announced but not received: who announced it
// (those not grafted yet), and whether it was grafted.
type missing[P comparable] struct {
	announcers []P // not asked yet in this round
	asked      []P // asked in this round
	rounds     int // rounds of asking every announcer done
	grafted    bool
}

// GraftRounds is how many times a tree asks every announcer of a missing
// message in turn, each round waiting twice as long as the one before
// (an answer may be queued behind a burst), before it gives up (a Lost
// action).
const GraftRounds = 4

// arrival is how a cached message came: over hops links, from a peer
// (none for this node's own).
type arrival[P comparable] struct {
	hops    int
	from    P
	hasFrom bool
}

// Defaults of the tree rule (iroh-gossip uses 80 ms and 40 ms, and a
// threshold of 7 hops; see docs/bandwidth.md for p2p's).
const (
	DefaultGraftTimeout  = 80 * time.Millisecond
	DefaultSecondTimeout = 40 * time.Millisecond
	DefaultCacheSize     = 4096
	DefaultMaxMissing    = 4096
	DefaultMaxOrigins    = 1024
	DefaultThreshold     = 3
)

// NewTree returns a tree rule over seen with the defaults.
func NewTree[P comparable](seen Seen) *Tree[P] {
	return &Tree[P]{GraftTimeout: DefaultGraftTimeout, SecondTimeout: DefaultSecondTimeout, CacheSize: DefaultCacheSize,
		MaxMissing: DefaultMaxMissing, MaxOrigins: DefaultMaxOrigins, Threshold: DefaultThreshold,
		seen: seen, origins: map[uint64]*originTree[P]{}, missed: map[MsgID]*missing[P]{}, cache: map[MsgID]arrival[P]{}}
}

func (t *Tree[P]) PeerUp(p P) {
	if !slices.Contains(t.peers, p) {
		t.peers = append(t.peers, p) // eager for every origin
	}
}

func (t *Tree[P]) PeerDown(p P) {
	t.peers = remove(t.peers, p)
	for _, m := range t.missed {
		m.announcers, m.asked = remove(m.announcers, p), remove(m.asked, p)
	}
	for _, o := range t.origins {
		o.lazy = remove(o.lazy, p)
	}
}

// Peers returns the peers, in the order they came up.
func (t *Tree[P]) Peers() []P { return t.peers }

// IsEager reports whether p gets origin's messages whole.
func (t *Tree[P]) IsEager(origin uint64, p P) bool {
	o := t.find(origin)
	return slices.Contains(t.peers, p) && (o == nil || !slices.Contains(o.lazy, p))
}

// Eager and Lazy return the peers of each kind for origin's messages.
func (t *Tree[P]) Eager(origin uint64) []P {
	var out []P
	for _, p := range t.peers {
		if t.IsEager(origin, p) {
			out = append(out, p)
		}
	}
	return out
}

func (t *Tree[P]) Lazy(origin uint64) []P {
	if o := t.find(origin); o != nil {
		return slices.Clone(o.lazy)
	}
	return nil
}

// LazyFor counts the origins whose trees this node keeps, and those of
// them for which p is lazy.
func (t *Tree[P]) LazyFor(p P) (lazy, origins int) {
	for _, o := range t.origins {
		if slices.Contains(o.lazy, p) {
			lazy++
		}
	}
	return lazy, len(t.origins)
}

func (t *Tree[P]) Publish(id MsgID, out []Action[P]) []Action[P] {
	t.seen.Add(id)
	t.remember(id, arrival[P]{})
	return t.push(nil, false, id, 1, out)
}

func (t *Tree[P]) Received(from P, f Frame, id MsgID, hops int, out []Action[P]) []Action[P] {
	switch f {
	case Gossip:
		if !t.seen.Add(id) {
			// A duplicate: the link that brought it is not needed.
			t.makeLazy(id.Origin, from)
			return append(out, Action[P]{Kind: Send, To: from, Frame: Prune, ID: id})
		}
		late := false
		if len(t.missed) > 0 {
			if m := t.missed[id]; m != nil {
				late = m.grafted
				delete(t.missed, id)
			}
		}
		t.makeEager(id.Origin, from)
		t.remember(id, arrival[P]{hops: hops, from: from, hasFrom: true})
		out = append(out, Action[P]{Kind: Deliver, ID: id, Hops: hops})
		if late {
			// It came by GRAFT: the tree under this node is likely cut off
			// too, so it goes whole to every peer (the ones that have it
			// answer PRUNE) instead of a graft timeout more at each level.
			return t.pushAll(from, id, hops+1, out)
		}
		return t.push(&from, true, id, hops+1, out)
	case Prune:
		t.makeLazy(id.Origin, from)
	case Graft:
		t.makeEager(id.Origin, from)
		if a, ok := t.cache[id]; ok && id.Seq != 0 {
			out = append(out, Action[P]{Kind: Send, To: from, Frame: Gossip, ID: id, Hops: a.hops + 1})
		}
	case IHave:
		if t.seen.Has(id) {
			return t.optimise(from, id, hops, out)
		}
		m := t.missed[id]
		if m == nil {
			if len(t.missed) >= t.MaxMissing {
				t.Ignored++ // bounded: the eager path, or a later IHAVE, brings it
				return out
			}
			// The first announcement: wait a while for the message itself.
			m = &missing[P]{}
			t.missed[id] = m
			out = append(out, Action[P]{Kind: SetTimer, ID: id, After: t.GraftTimeout})
		}
		if !slices.Contains(m.announcers, from) && !slices.Contains(m.asked, from) && len(m.announcers)+len(m.asked) < len(t.peers) {
			m.announcers = append(m.announcers, from)
		}
	}
	return out
}

// optimise: the message came over hops links, and a lazy peer announces
// it over fewer; if the difference reaches Threshold the lazy link takes
// the place of the eager one the message came by, for its origin (GRAFT
// without a message to the announcer, PRUNE to the old parent). Done
// once per message.
func (t *Tree[P]) optimise(from P, id MsgID, hops int, out []Action[P]) []Action[P] {
	if t.Threshold <= 0 {
		return out
	}
	var a arrival[P]
	var ok bool
	o := t.find(id.Origin)
	if o != nil && o.recentSeq == id.Seq {
		a, ok = o.recent, true
	} else {
		a, ok = t.cache[id]
	}
	if !ok || !a.hasFrom || a.from == from || a.hops-hops < t.Threshold ||
		t.IsEager(id.Origin, from) || !t.IsEager(id.Origin, a.from) {
		return out
	}
	t.cache[id] = arrival[P]{hops: hops, from: from, hasFrom: true}
	if o != nil && o.recentSeq == id.Seq {
		o.recent = t.cache[id]
	}
	t.makeEager(id.Origin, from)
	t.makeLazy(id.Origin, a.from)
	none := MsgID{Origin: id.Origin}
	out = append(out, Action[P]{Kind: Send, To: from, Frame: Graft, ID: none})
	return append(out, Action[P]{Kind: Send, To: a.from, Frame: Prune, ID: none})
}

// TimerFired: the message announced did not come; graft the link of the
// first announcer and wait for it, then the next.
func (t *Tree[P]) TimerFired(id MsgID, out []Action[P]) []Action[P] {
	m := t.missed[id]
	if m == nil {
		return out
	}
	if len(m.announcers) == 0 {
		// Every announcer was asked and none answered in time: ask them all
		// again, waiting longer, a few rounds; then give up and say so.
		if m.rounds++; m.rounds >= GraftRounds || len(m.asked) == 0 {
			delete(t.missed, id)
			return append(out, Action[P]{Kind: Lost, ID: id})
		}
		m.announcers, m.asked = m.asked, nil
	}
	p := m.announcers[0]
	m.announcers, m.grafted = m.announcers[1:], true
	m.asked = append(m.asked, p)
	t.makeEager(id.Origin, p)
	out = append(out, Action[P]{Kind: Send, To: p, Frame: Graft, ID: id})
	return append(out, Action[P]{Kind: SetTimer, ID: id, After: t.SecondTimeout << m.rounds})
}

// push sends the message to the origin's eager peers and IHAVE to its
// lazy ones, but not to from.
func (t *Tree[P]) push(from *P, hasFrom bool, id MsgID, hops int, out []Action[P]) []Action[P] {
	o := t.origin(id.Origin)
	for _, p := range t.peers {
		if hasFrom && p == *from {
			continue
		}
		if slices.Contains(o.lazy, p) {
			out = append(out, Action[P]{Kind: Send, To: p, Frame: IHave, ID: id, Hops: hops})
		} else {
			out = append(out, Action[P]{Kind: Send, To: p, Frame: Gossip, ID: id, Hops: hops})
		}
	}
	return out
}

// pushAll sends the message whole to every peer but from.
func (t *Tree[P]) pushAll(from P, id MsgID, hops int, out []Action[P]) []Action[P] {
	for _, p := range t.peers {
		if p != from {
			out = append(out, Action[P]{Kind: Send, To: p, Frame: Gossip, ID: id, Hops: hops})
		}
	}
	return out
}

// origin returns origin's tree, made (all peers eager) if it is new; past
// MaxOrigins the least recently used is forgotten (its next message is
// flooded).
func (t *Tree[P]) origin(origin uint64) *originTree[P] {
	t.clock++
	if o := t.find(origin); o != nil {
		o.lastUse = t.clock
		return o
	}
	if len(t.origins) >= max(t.MaxOrigins, 1) {
		var oldest uint64
		least := ^uint64(0)
		for k, o := range t.origins {
			if o.lastUse < least || o.lastUse == least && k < oldest {
				oldest, least = k, o.lastUse
			}
		}
		delete(t.origins, oldest)
		if t.last != nil && t.lastOrigin == oldest {
			t.last = nil
		}
	}
	o := &originTree[P]{lastUse: t.clock}
	t.origins[origin] = o
	t.lastOrigin, t.last = origin, o
	return o
}

// find returns origin's tree, or nil; the last one found is kept, since
// messages of one origin come in runs.
func (t *Tree[P]) find(origin uint64) *originTree[P] {
	if t.last != nil && t.lastOrigin == origin {
		return t.last
	}
	o := t.origins[origin]
	if o != nil {
		t.lastOrigin, t.last = origin, o
	}
	return o
}

// remember keeps a received message for GRAFT, the oldest forgotten first.
func (t *Tree[P]) remember(id MsgID, a arrival[P]) {
	t.cache[id] = a
	if o := t.origin(id.Origin); id.Seq >= o.recentSeq {
		o.recentSeq, o.recent = id.Seq, a
	}
	t.order = append(t.order, id)
	if len(t.order) > t.CacheSize {
		delete(t.cache, t.order[0])
		t.order = t.order[1:]
	}
}

func (t *Tree[P]) makeEager(origin uint64, p P) {
	if o := t.find(origin); o != nil {
		o.lazy = remove(o.lazy, p)
	}
}

func (t *Tree[P]) makeLazy(origin uint64, p P) {
	if !slices.Contains(t.peers, p) {
		return
	}
	if o := t.origin(origin); !slices.Contains(o.lazy, p) {
		o.lazy = append(o.lazy, p)
	}
}

func remove[P comparable](s []P, p P) []P {
	if i := slices.Index(s, p); i >= 0 {
		return slices.Delete(s, i, i+1)
	}
	return s
}
