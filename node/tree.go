package node

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/p2p-chat/p2p/node/broadcast"
	"github.com/p2p-chat/p2p/node/wire"
)

// treeRule is tree mode: the node drives broadcast.Tree (Plumtree, one
// tree per origin) over its real connections. Signed messages are
// admitted exactly as in flood mode (admitSigned: duplicate check,
// verification, test-and-set); the tree only decides who gets the whole
// message and who an IHAVE. Everything else (unsigned links) is flooded.
//
// The state machine is not safe for concurrent use, so mu guards it; the
// sends it asks for are done after unlocking (the fan-out may wait for
// room in a queue). A peer the tree has not told us is lazy gets the whole
// message: a flood peer, which is always eager, and a peer that came up a
// moment ago alike.
type treeRule struct {
	n     *Node
	flood flood // unsigned links

	mu      sync.Mutex
	t       *broadcast.Tree[*peer]
	fresh   bool // what the tree's Seen.Add answers: the node's own test-and-set already ran
	acts    []broadcast.Action[*peer]
	lines   lineCache                       // message lines, to answer GRAFT
	pending map[*peer][]wire.Ref            // IHAVE references not sent yet
	flushAt bool                            // a flush of pending is scheduled
	timers  map[broadcast.MsgID]*time.Timer // graft timers
	closed  bool
}

func newTreeRule(n *Node) *treeRule {
	r := &treeRule{n: n, flood: flood{n}, pending: map[*peer][]wire.Ref{}, timers: map[broadcast.MsgID]*time.Timer{}}
	r.lines = lineCache{max: n.cfg.TreeCache, maxBytes: n.cfg.TreeCacheBytes, lines: map[broadcast.MsgID]string{}}
	t := broadcast.NewTree[*peer](treeSeen{r})
	t.GraftTimeout, t.SecondTimeout = n.cfg.GraftTimeout, n.cfg.GraftTimeout/2
	// Missing messages live a few graft rounds (up to about 1.3 s with the
	// default timeout) while a burst goes on: room for four times as many
	// as the cache holds.
	t.CacheSize, t.MaxMissing, t.MaxOrigins = n.cfg.TreeCache, 4*n.cfg.TreeCache, n.cfg.TreeOrigins
	r.t = t
	return r
}

// treeSeen is the tree's view of the delivered log. Add does not add: the
// node's test-and-set ran before the tree is told (it must, to verify
// first), and its answer is in fresh.
type treeSeen struct{ r *treeRule }

func (s treeSeen) Add(broadcast.MsgID) bool    { return s.r.fresh }
func (s treeSeen) Has(id broadcast.MsgID) bool { return s.r.n.seen.has(id.Origin, id.Seq) }

func (r *treeRule) peerUp(p *peer) {
	if !p.info.Tree {
		return // a flood peer is always eager, outside the tree
	}
	r.mu.Lock()
	r.t.PeerUp(p)
	r.mu.Unlock()
}

func (r *treeRule) peerDown(p *peer) {
	r.mu.Lock()
	r.t.PeerDown(p)
	delete(r.pending, p)
	r.mu.Unlock()
}

// close stops the timers.
func (r *treeRule) close() {
	r.mu.Lock()
	r.closed = true
	for _, t := range r.timers {
		t.Stop()
	}
	clear(r.timers)
	r.mu.Unlock()
}

func (r *treeRule) publish(m *outMsg) int {
	r.mu.Lock()
	r.fresh = true
	r.acts = r.t.Publish(m.mid, r.acts[:0])
	r.lines.add(m.mid, m.signed)
	var lazyBuf [8]*peer
	lazy, sends := r.actLocked(r.acts, lazyBuf[:0], false)
	r.mu.Unlock()
	r.send(sends)
	return r.n.peers.broadcastSkip(m, nil, lazy)
}

func (r *treeRule) received(from *peer, f *wire.Frame) error {
	if f.Kind != wire.KindSignedMsg || !from.signed() {
		return r.flood.received(from, f)
	}
	n := r.n
	v, id, mid, err := n.admitSigned(from, f)
	switch v {
	case admitDropped:
		return err
	case admitDuplicate:
		if from.info.Tree {
			r.mu.Lock()
			r.fresh = false
			r.acts = r.t.Received(from, broadcast.Gossip, mid, f.Hops, r.acts[:0])
			_, sends := r.actLocked(r.acts, nil, false)
			r.mu.Unlock()
			r.send(sends)
		}
		return nil
	}
	d := n.relaySigned(from, f, id, mid)
	r.mu.Lock()
	r.fresh = true
	r.acts = r.t.Received(from, broadcast.Gossip, mid, f.Hops, r.acts[:0])
	if t := r.timers[mid]; t != nil {
		t.Stop() // it came: its graft timer has nothing left to do
		delete(r.timers, mid)
	}
	if d.forward {
		r.lines.add(mid, d.out.signed)
	}
	var lazyBuf [8]*peer
	lazy, sends := r.actLocked(r.acts, lazyBuf[:0], false)
	r.mu.Unlock()
	r.send(sends)
	if d.forward {
		n.recent.add(d.out.signed)
		n.peers.broadcastSkip(&d.out, from, lazy)
	}
	n.deliver(d.record(), d.event)
	return nil
}

// control handles IHAVE, GRAFT and PRUNE from a tree peer.
func (r *treeRule) control(from *peer, f *wire.Frame) {
	n := r.n
	now := time.Now()
	r.mu.Lock()
	r.acts = r.acts[:0]
	wire.EachRef(f.Refs, func(ref wire.Ref) {
		id := broadcast.MsgID{Origin: ref.Node, Seq: ref.Seq}
		switch f.Kind {
		case wire.KindIHave:
			n.tree.ihaveIDsIn.Add(1)
			r.acts = r.t.Received(from, broadcast.IHave, id, ref.Hops, r.acts)
		case wire.KindGraft:
			n.tree.graftsIn.Add(1)
			if ref.Seq != 0 && !from.cond.allowGraft(now) {
				n.tree.graftsRefused.Add(1)
				return
			}
			r.acts = r.t.Received(from, broadcast.Graft, id, 0, r.acts)
		case wire.KindPrune:
			n.tree.prunesIn.Add(1)
			r.acts = r.t.Received(from, broadcast.Prune, id, 0, r.acts)
		}
	})
	_, sends := r.actLocked(r.acts, nil, f.Kind == wire.KindGraft)
	r.mu.Unlock()
	r.send(sends)
}

// fire is a graft timer.
func (r *treeRule) fire(id broadcast.MsgID) {
	r.mu.Lock()
	delete(r.timers, id)
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.acts = r.t.TimerFired(id, r.acts[:0])
	_, sends := r.actLocked(r.acts, nil, false)
	r.mu.Unlock()
	r.send(sends)
}

// treeSend is one frame for one peer, sent after unlocking.
type treeSend struct {
	to      *peer
	line    string
	payload bool            // a message (a GRAFT's answer), not a control frame
	lost    broadcast.MsgID // with to nil: report this message lost
}

// actLocked carries out the tree's actions that need no waiting: it
// returns the peers that get an IHAVE instead of the message (appended to
// lazy) and the frames to send after unlocking (GRAFT, PRUNE, a GRAFT's
// answer when graftAnswer, full IHAVE batches); it queues IHAVE
// references and sets timers. Deliver is the caller's. The caller holds
// mu.
func (r *treeRule) actLocked(acts []broadcast.Action[*peer], lazy []*peer, graftAnswer bool) ([]*peer, []treeSend) {
	var sends []treeSend
	for _, a := range acts {
		switch {
		case a.Kind == broadcast.SetTimer:
			// Never dropped: a missing message without a timer would wait
			// for ever. There is at most one per missing message, and the
			// tree bounds those (MaxMissing); a message's timer is stopped
			// when it comes.
			if old := r.timers[a.ID]; old != nil {
				old.Stop()
			}
			id := a.ID
			r.timers[id] = time.AfterFunc(a.After, func() { r.fire(id) })
		case a.Kind == broadcast.Lost:
			// Announced, asked for from every announcer for several rounds,
			// never came: say so (the node has no other way to get it).
			r.n.tree.lost.Add(1)
			sends = append(sends, treeSend{lost: a.ID})
		case a.Kind != broadcast.Send:
		case a.Frame == broadcast.IHave:
			lazy = append(lazy, a.To)
			if !a.To.info.Tree {
				continue // never happens: flood peers are not in the tree
			}
			refs := append(r.pending[a.To], wire.Ref{Node: a.ID.Origin, Seq: a.ID.Seq, Hops: a.Hops})
			if len(refs) == wire.MaxRefs {
				sends = append(sends, treeSend{to: a.To, line: wire.EncodeIHave(refs)})
				r.n.tree.countIHave(len(refs))
				refs = refs[:0]
			}
			r.pending[a.To] = refs
			if !r.flushAt && len(refs) > 0 {
				r.flushAt = true
				time.AfterFunc(r.n.cfg.IHaveDelay, r.flush)
			}
		case !a.To.info.Tree:
			// Control frames and GRAFT answers go to tree peers only.
		case a.Frame == broadcast.Prune:
			r.n.tree.prunesOut.Add(1)
			sends = append(sends, treeSend{to: a.To, line: wire.EncodePrune([]wire.Ref{{Node: a.ID.Origin}})})
		case a.Frame == broadcast.Graft:
			r.n.tree.graftsOut.Add(1)
			sends = append(sends, treeSend{to: a.To, line: wire.EncodeGraft([]wire.Ref{{Node: a.ID.Origin, Seq: a.ID.Seq}})})
		case a.Frame == broadcast.Gossip:
			// The fan-out sends a message to its eager peers; here only a
			// GRAFT's answer is sent.
			if !graftAnswer {
				continue
			}
			if line, ok := r.lines.get(a.ID); ok {
				r.n.tree.graftAnswers.Add(1)
				sends = append(sends, treeSend{to: a.To, line: line, payload: true})
			} else {
				r.n.tree.graftMisses.Add(1)
			}
		}
	}
	return lazy, sends
}

// flush sends the pending IHAVE references, one frame per peer.
func (r *treeRule) flush() {
	r.mu.Lock()
	var sends []treeSend
	for p, refs := range r.pending {
		if len(refs) > 0 {
			sends = append(sends, treeSend{to: p, line: wire.EncodeIHave(refs)})
			r.n.tree.countIHave(len(refs))
		}
	}
	clear(r.pending)
	r.flushAt = false
	r.mu.Unlock()
	r.send(sends)
}

func (r *treeRule) send(sends []treeSend) {
	for _, s := range sends {
		if s.to == nil {
			r.n.emit(Event{Kind: EventError, Err: fmt.Errorf("tree mode: message %s-%d was announced (IHAVE) but never came: every announcer was asked (GRAFT) %d times; it is lost to this node",
				wire.NodeIDText(s.lost.Origin), s.lost.Seq, broadcast.GraftRounds)})
			continue
		}
		s.to.sendTree(s.line, s.payload)
	}
}

// Gossip actions of the tree are not sent one by one: the fan-out sends
// the message to every peer but the lazy ones (broadcastSkip), so a
// message reaches its eager peers in one step under the fan-out lock, as
// in flood mode.

// lineCache keeps the lines of recent messages, to answer GRAFT: at most
// max lines and maxBytes bytes, the oldest forgotten first.
type lineCache struct {
	max, maxBytes int
	bytes         int
	lines         map[broadcast.MsgID]string
	order         []broadcast.MsgID
}

func (c *lineCache) add(id broadcast.MsgID, line string) {
	if line == "" || c.lines[id] != "" {
		return
	}
	c.lines[id] = line
	c.order = append(c.order, id)
	c.bytes += len(line)
	for len(c.order) > 0 && (len(c.order) > c.max || c.bytes > c.maxBytes) {
		old := c.order[0]
		c.bytes -= len(c.lines[old])
		delete(c.lines, old)
		c.order = c.order[1:]
	}
}

func (c *lineCache) get(id broadcast.MsgID) (string, bool) {
	l, ok := c.lines[id]
	return l, ok
}

// treeCounters count the tree's frames (Stats).
type treeCounters struct {
	ihavesOut, ihaveIDsOut, graftsOut, prunesOut atomic.Uint64
	ihaveIDsIn, graftsIn, prunesIn               atomic.Uint64
	graftAnswers, graftsRefused, graftMisses     atomic.Uint64
	lost                                         atomic.Uint64
}

func (c *treeCounters) countIHave(ids int) {
	c.ihavesOut.Add(1)
	c.ihaveIDsOut.Add(uint64(ids))
}

// lazyFor counts the origins whose trees the node keeps, and those of
// them for which p is lazy.
func (r *treeRule) lazyFor(p *peer) (lazy, origins int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.t.LazyFor(p)
}
