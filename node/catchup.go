package node

import (
	"sync/atomic"
	"time"

	"github.com/p2p-chat/p2p/node/wire"
)

// Catch-up (docs/catch-up.md): when a signed link comes up, and every
// SyncEvery while it is up, each side sends the other a summary of what it
// has delivered: per origin, the number up to which it has every message
// (SUMMARY frames, then SUMMARYEND). The other side answers with what it
// has in its history above those numbers (of origins not in the summary:
// all) that arrived before the link came up (what came later went to the
// peer as it came), oldest first, as CMSG frames under the same
// backpressure as live messages, then SYNCED. A message that comes by catch-up is admitted like
// any signed message (so it is delivered once), marked as catch-up in its
// event, and then flooded like any first copy, so the nodes behind this
// one get it too.

// catchupState is what a peer's reader keeps of catch-up; only the reader
// goroutine uses it, but busy, which the sending goroutine clears.
type catchupState struct {
	summary   map[uint64]uint64 // the summary being received: origin -> floor
	linkedAt  time.Time         // when the peer joined the fan-out (set before its reader starts)
	lastRound time.Time         // when this node last answered a summary of this peer
	busy      atomic.Bool       // an answer is being sent
	got       int               // messages new to this node since the last SYNCED
	rounds    atomic.Uint64     // SYNCED frames received
	origins   map[uint64]struct{}
}

// summaryFrames returns this node's summary: its SUMMARY frames, then
// SUMMARYEND.
func (n *Node) summaryFrames() []string {
	refs := n.seen.floors()
	var out []string
	for len(refs) > 0 {
		k := min(len(refs), wire.MaxRefs)
		out = append(out, wire.EncodeSummary(refs[:k]))
		refs = refs[k:]
	}
	return append(out, wire.EncodeSummaryEnd())
}

// sendSummary queues this node's summary to p without waiting.
func (n *Node) sendSummary(p *peer) {
	if !p.signed() {
		return
	}
	for _, f := range n.summaryFrames() {
		p.sendTree(f, false)
	}
	n.catchup.summariesOut.Add(1)
}

// catchupFrame acts on SUMMARY, SUMMARYEND and SYNCED from p (its reader).
func (p *peer) catchupFrame(f *wire.Frame) {
	n, c := p.n, &p.catchup
	if !p.signed() {
		return // catch-up carries signed messages only
	}
	switch f.Kind {
	case wire.KindSummary:
		if c.summary == nil {
			c.summary = make(map[uint64]uint64)
		}
		wire.EachRef(f.Refs, func(r wire.Ref) {
			if len(c.summary) < n.cfg.SeenOrigins {
				c.summary[r.Node] = r.Seq
			}
		})
	case wire.KindSummaryEnd:
		floors := c.summary
		c.summary = nil
		n.catchup.summariesIn.Add(1)
		now := time.Now()
		if c.busy.Load() || !c.lastRound.IsZero() && now.Sub(c.lastRound) < n.cfg.SyncEvery/2 {
			n.catchup.refused.Add(1) // asked again too soon: the next summary will do
			return
		}
		c.lastRound = now
		lines := n.history.missing(floors, c.linkedAt, n.cfg.HistoryMax)
		if len(lines) == 0 {
			p.sendTree(wire.EncodeSynced(0), false) // nothing to send: answered at once
			return
		}
		c.busy.Store(true)
		if !n.goTracked(func() { defer c.busy.Store(false); n.sendCatchup(p, lines) }) {
			c.busy.Store(false)
		}
	case wire.KindSynced:
		if c.got > 0 {
			n.emit(Event{Kind: EventCatchup, Peer: p.info, CaughtUp: c.got, CaughtUpOrigins: len(c.origins)})
		}
		c.got, c.origins = 0, nil
		c.rounds.Add(1) // read by Peers (wait synced)
	}
}

// sendCatchup sends p the lines it lacks, as CMSG, waiting for room like a
// relay, then SYNCED.
func (n *Node) sendCatchup(p *peer, lines []string) {
	sent := 0
	for _, line := range lines {
		cl := wire.CatchupLine(line)
		t, r := p.offer(cl, nil)
		switch r {
		case offerSkipped:
			if p.lifeNow().phase != running {
				return
			}
			continue // too long for it
		case offerStalled:
			p.slow()
			return
		case offerFull:
			p.awaitRoom(t, true)
		}
		sent++
		n.catchup.out.Add(1)
		n.catchup.bytesOut.Add(uint64(len(cl)))
	}
	p.sendTree(wire.EncodeSynced(sent), false)
}

// noteCatchup counts a message new to this node that came from p by
// catch-up.
func (p *peer) noteCatchup(origin uint64) {
	c := &p.catchup
	c.got++
	if c.origins == nil {
		c.origins = make(map[uint64]struct{})
	}
	if len(c.origins) < p.n.cfg.SeenOrigins {
		c.origins[origin] = struct{}{}
	}
	p.n.catchup.delivered.Add(1)
}

// syncLoop sends every signed peer a summary every SyncEvery, until the
// node closes.
func (n *Node) syncLoop() {
	defer n.wg.Done()
	t := time.NewTicker(n.cfg.SyncEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			for _, p := range n.peers.snapshot() {
				n.sendSummary(p)
			}
		case <-n.closing:
			return
		}
	}
}

// catchupCounters count catch-up's frames (Stats).
type catchupCounters struct {
	summariesOut, summariesIn, out, bytesOut, in, bytesIn, delivered, refused atomic.Uint64
}

// History returns the stored messages, oldest first, that keep accepts
// (nil keeps all).
func (n *Node) History(keep func(HistoryEntry) bool) []HistoryEntry {
	if keep == nil {
		keep = func(HistoryEntry) bool { return true }
	}
	return n.history.entries(keep)
}
