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
type Tree[P comparable] struct {
	GraftTimeout  time.Duration
	SecondTimeout time.Duration
	CacheSize     int // messages kept to answer GRAFT

	seen   Seen
	eager  []P
	lazy   []P
	missed map[MsgID][]P // announcers of a message not received yet, timer set
	cache  map[MsgID]int // messages received, to answer GRAFT (hops)
	order  []MsgID       // cache in arrival order, to bound it
}

// Defaults of the tree rule's timers and cache (iroh-gossip uses 80 ms and
// 40 ms; p2p's links are often slower, see docs/bandwidth.md).
const (
	DefaultGraftTimeout  = 80 * time.Millisecond
	DefaultSecondTimeout = 40 * time.Millisecond
	DefaultCacheSize     = 4096
)

// NewTree returns a tree rule over seen with the default timers.
func NewTree[P comparable](seen Seen) *Tree[P] {
	return &Tree[P]{GraftTimeout: DefaultGraftTimeout, SecondTimeout: DefaultSecondTimeout, CacheSize: DefaultCacheSize,
		seen: seen, missed: map[MsgID][]P{}, cache: map[MsgID]int{}}
}

func (t *Tree[P]) PeerUp(p P) {
	if !slices.Contains(t.eager, p) && !slices.Contains(t.lazy, p) {
		t.eager = append(t.eager, p)
	}
}

func (t *Tree[P]) PeerDown(p P) {
	t.eager = remove(t.eager, p)
	t.lazy = remove(t.lazy, p)
}

// Eager and Lazy return the peers of each kind.
func (t *Tree[P]) Eager() []P { return t.eager }
func (t *Tree[P]) Lazy() []P  { return t.lazy }

func (t *Tree[P]) Publish(id MsgID, out []Action[P]) []Action[P] {
	t.seen.Add(id)
	t.remember(id, 0)
	return t.push(nil, false, id, 1, out)
}

func (t *Tree[P]) Received(from P, f Frame, id MsgID, hops int, out []Action[P]) []Action[P] {
	switch f {
	case Gossip:
		if !t.seen.Add(id) {
			t.makeLazy(from)
			return append(out, Action[P]{Kind: Send, To: from, Frame: Prune, ID: id})
		}
		delete(t.missed, id)
		t.makeEager(from)
		t.remember(id, hops)
		out = append(out, Action[P]{Kind: Deliver, ID: id, Hops: hops})
		return t.push(&from, true, id, hops+1, out)
	case Prune:
		t.makeLazy(from)
	case Graft:
		t.makeEager(from)
		if h, ok := t.cache[id]; ok {
			out = append(out, Action[P]{Kind: Send, To: from, Frame: Gossip, ID: id, Hops: h + 1})
		}
	case IHave:
		if _, ok := t.cache[id]; ok {
			return out
		}
		if _, seen := t.missed[id]; !seen {
			// The first announcement: wait a while for the message itself.
			out = append(out, Action[P]{Kind: SetTimer, ID: id, After: t.GraftTimeout})
		}
		if !slices.Contains(t.missed[id], from) {
			t.missed[id] = append(t.missed[id], from)
		}
	}
	return out
}

// TimerFired: the message announced did not come; graft the link of the
// first announcer and wait for it, then the next.
func (t *Tree[P]) TimerFired(id MsgID, out []Action[P]) []Action[P] {
	ann, ok := t.missed[id]
	if !ok || len(ann) == 0 {
		delete(t.missed, id)
		return out
	}
	p := ann[0]
	t.missed[id] = ann[1:]
	t.makeEager(p)
	out = append(out, Action[P]{Kind: Send, To: p, Frame: Graft, ID: id})
	return append(out, Action[P]{Kind: SetTimer, ID: id, After: t.SecondTimeout})
}

// push sends the message to the eager peers and IHAVE to the lazy ones,
// but not to from.
func (t *Tree[P]) push(from *P, hasFrom bool, id MsgID, hops int, out []Action[P]) []Action[P] {
	for _, p := range t.eager {
		if !hasFrom || p != *from {
			out = append(out, Action[P]{Kind: Send, To: p, Frame: Gossip, ID: id, Hops: hops})
		}
	}
	for _, p := range t.lazy {
		if !hasFrom || p != *from {
			out = append(out, Action[P]{Kind: Send, To: p, Frame: IHave, ID: id})
		}
	}
	return out
}

// remember keeps a received message for GRAFT, the oldest forgotten first.
func (t *Tree[P]) remember(id MsgID, hops int) {
	t.cache[id] = hops
	t.order = append(t.order, id)
	if len(t.order) > t.CacheSize {
		delete(t.cache, t.order[0])
		t.order = t.order[1:]
	}
}

func (t *Tree[P]) makeEager(p P) {
	if slices.Contains(t.lazy, p) {
		t.lazy = remove(t.lazy, p)
		t.eager = append(t.eager, p)
	}
}

func (t *Tree[P]) makeLazy(p P) {
	if slices.Contains(t.eager, p) {
		t.eager = remove(t.eager, p)
		t.lazy = append(t.lazy, p)
	}
}

func remove[P comparable](s []P, p P) []P {
	if i := slices.Index(s, p); i >= 0 {
		return slices.Delete(s, i, i+1)
	}
	return s
}
