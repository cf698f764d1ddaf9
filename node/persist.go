package node

import (
	"fmt"
	"sync"
	"time"

	"github.com/p2p-chat/p2p/node/store"
	"github.com/p2p-chat/p2p/node/wire"
)

// With a store (Config.Store, `-data DIR`), every signed message delivered
// or sent is written to it before its event goes out: a node killed at
// any moment has in its store every message it delivered, and after a
// restart it delivers none of them again (the store's floors and records
// rebuild the delivered log). A message committed but not yet printed when
// the node dies is in the store and shows in `history`, and is not
// delivered again. Writes go in batches: one goroutine takes what the
// readers hand it, commits it in one transaction, then emits the events
// in the order they came.

// persistItem is one message to store, and its event (none for this
// node's own message).
type persistItem struct {
	rec   store.Record
	event *Event
}

// persister is the node's writer to its store.
type persister struct {
	st     committer
	ch     chan persistItem
	done   chan struct{}
	mu     sync.RWMutex // held for reading while handing over; for writing to close ch
	closed bool
	failed bool // a commit failed: the node goes on without its store (reported once)
	// committed is what the store holds as delivered: the floors it writes
	// come from it, never from the node's delivered log, which runs ahead
	// (a message is marked delivered before it is handed over, and a node
	// killed between the two commits must not have a floor over a message
	// the store does not hold: it would never be delivered).
	committed *deliveredLog
	shown     uint64 // the key of the last record whose event went out, written with the next commit
}

// committer is what the writer needs of a store (a test gives one whose
// disk fills up).
type committer interface {
	Commit(recs []store.Record, floors map[uint64]uint64, shown uint64, now time.Time) error
	Dir() string
}

// persistBatch is the most messages one transaction takes.
const persistBatch = 4096

// loadStore rebuilds the history and the delivered log from the store
// and starts the writer.
func (n *Node) loadStore(st *store.Store) error {
	floors, err := st.Floors()
	if err != nil {
		return fmt.Errorf("store %s: %w", st.Dir(), err)
	}
	var delivered [][2]uint64
	var f wire.Frame
	shown := st.Shown()
	err = st.Load(func(r store.Record) {
		if r.Key > shown {
			n.unshown++
		}
		delivered = append(delivered, [2]uint64{r.Node, r.Seq})
		msg := Message{ID: wire.NodeIDText(r.Node) + "-" + fmt.Sprint(r.Seq)}
		if wire.ParseLine([]byte(r.Line[:len(r.Line)-1]), &f) == nil {
			msg.Origin, msg.Text, msg.Hops, msg.Time = string(f.Origin), string(f.Text), f.Hops, time.UnixMilli(f.Time)
		}
		n.history.add(r.Node, r.Seq, r.Line, msg, time.Unix(0, r.At))
	})
	if err != nil {
		return fmt.Errorf("store %s: %w", st.Dir(), err)
	}
	n.seen.restore(floors, delivered)

	committed := newDeliveredLog(n.cfg.SeenOrigins)
	for node, floor := range floors {
		committed.restore(node, floor)
	}
	for _, d := range delivered {
		committed.add(d[0], d[1])
	}
	n.persist = &persister{st: st, ch: make(chan persistItem, n.cfg.EventBuffer), done: make(chan struct{}), committed: committed}
	go n.persistLoop()
	return nil
}

// deliver emits ev for a signed message that is new here, after storing
// it when the node has a store.
func (n *Node) deliver(rec store.Record, ev Event) {
	if !n.handOver(rec, &ev) {
		n.emit(ev)
	}
}

// keep stores this node's own message, when it has a store.
func (n *Node) keep(rec store.Record) { n.handOver(rec, nil) }

// handOver gives the writer a message; false when there is no store (or
// no more), and the caller emits the event itself.
func (n *Node) handOver(rec store.Record, ev *Event) bool {
	p := n.persist
	if p == nil {
		return false
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return false
	}
	p.ch <- persistItem{rec, ev} // the writer drains until closed, so this moves
	return true
}

// persistLoop commits batches, then emits their events in order.
func (n *Node) persistLoop() {
	p := n.persist
	defer close(p.done)
	batch := make([]persistItem, 0, persistBatch)
	recs := make([]store.Record, 0, persistBatch)
	for item := range p.ch {
		batch = append(batch[:0], item)
	more:
		for len(batch) < persistBatch {
			select {
			case it, ok := <-p.ch:
				if !ok {
					break more
				}
				batch = append(batch, it)
			default:
				break more
			}
		}
		if !p.failed {
			recs = recs[:0]
			floors := map[uint64]uint64{}
			for _, it := range batch {
				recs = append(recs, it.rec)
				p.committed.add(it.rec.Node, it.rec.Seq)
				floors[it.rec.Node] = 0
			}
			for node := range floors {
				if o := p.committed.origins[node]; o != nil {
					floors[node] = o.floor
				}
			}
			if err := p.st.Commit(recs, floors, p.shown, time.Now()); err != nil {
				p.failed = true
				n.persistFailed.Store(true)
				n.emit(Event{Kind: EventError, Err: fmt.Errorf("store %s: %v: the node goes on without it (messages from now on are not kept across a restart)", p.st.Dir(), err)})
			}
		}
		for i, it := range batch {
			if it.event != nil && !n.emit(*it.event) {
				continue // the node is closing: not shown, so not marked shown
			}
			if !p.failed {
				p.shown = recs[i].Key
			}
		}
	}
	if !p.failed && p.shown > 0 {
		p.st.Commit(nil, nil, p.shown, time.Now()) // what was shown, for the next start
	}
}

// closeStore stops the writer once everything handed over is stored and
// emitted. Called by Close after the peers' goroutines have ended.
func (n *Node) closeStore() {
	p := n.persist
	if p == nil {
		return
	}
	p.mu.Lock()
	p.closed = true
	close(p.ch)
	p.mu.Unlock()
	<-p.done
}

// saveKnown writes the known addresses to the store (with -data): every
// -sync-every and when the node closes.
func (n *Node) saveKnown() {
	if n.knownStore == nil || n.persistFailed.Load() {
		return
	}
	var ks []store.Known
	for _, k := range n.Known() {
		if k.State != "self" {
			ks = append(ks, store.Known{Addr: k.Addr, Name: k.Name, Source: k.Source})
		}
	}
	if err := n.knownStore.SaveKnown(ks); err != nil && n.persistFailed.CompareAndSwap(false, true) {
		n.emit(Event{Kind: EventError, Err: fmt.Errorf("store %s: %v: the node goes on without it", n.knownStore.Dir(), err)})
	}
}

// loadKnown learns the known addresses the store kept, each from who told
// of it first, and has them saved from now on.
func (n *Node) loadKnown(st *store.Store) error {
	known, err := st.LoadKnown()
	if err != nil {
		return fmt.Errorf("store %s: %w", st.Dir(), err)
	}
	for _, k := range known {
		n.learn(k.Addr, "", k.Name, k.Source)
	}
	n.knownStore = st
	return nil
}
