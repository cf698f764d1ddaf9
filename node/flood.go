package node

import (
	"time"

	"github.com/p2p-chat/p2p/node/wire"
)

// flood is the whole flood rule for a MSG frame from peer from: the first
// copy of an id is forwarded to every other peer and delivered once; any
// later copy is counted as a duplicate and dropped. seen.add is the atomic
// test-and-set, so two copies racing in on two connections give one
// delivery and one forward.
func (n *Node) flood(from *peer, f *wire.Frame) {
	id, fresh := n.seen.add(f.ID, f.Origin)
	if !fresh {
		from.c.duplicates.Add(1)
		return
	}
	from.c.delivered.Add(1)

	// One allocation holds the forwarded frame; the delivered message's
	// origin and text are slices of it.
	line := wire.EncodeMsg(id, f.Hops+1, f.Origin, f.Text)
	textEnd := len(line) - 1
	textStart := textEnd - len(f.Text)
	originStart := textStart - 1 - len(f.Origin)

	// A line at the limit can grow by a digit when its hop count does; never
	// send a peer a line it must refuse.
	if f.Hops < n.cfg.MaxHops && len(line)-1 <= n.cfg.MaxLineBytes {
		n.recent.add(line)
		n.forward(line, from)
	}
	n.emit(Event{Kind: EventMessage, Peer: from.info, Message: Message{
		ID:     id,
		Origin: line[originStart : textStart-1],
		From:   from.info.Name,
		Hops:   f.Hops,
		Text:   line[textStart:textEnd],
	}})
}

// forward queues line to every peer but except and returns how many took
// it. The fan-out is one step under fanOut, so every peer's queue gets this
// node's frames in the same order: a message this node sends is never
// overtaken, on any link, by a reply to it that this node forwards. Nothing
// waits under fanOut: a queue past its bound takes the frame anyway, and
// the caller waits for room afterwards (see sendQueue), so backpressure
// reaches the reader (or Send) without holding up the rest of the node.
func (n *Node) forward(line string, except *peer) int {
	factor := 1 // our own message: wait at the bound
	if except != nil {
		factor = relaySlack
	}
	type wait struct {
		p *peer
		t ticket
	}
	var overBuf [8]wait
	over := overBuf[:0]
	copies := 0
	n.fanOut.Lock()
	for _, p := range *n.peerList.Load() {
		if p == except {
			continue
		}
		if len(line)-1 > p.maxLine {
			// It would have to refuse it and hang up: skip it, and count.
			p.c.tooLong.Add(1)
			continue
		}
		// Count first, so the counters are right by the time the copy can
		// arrive anywhere; undo if the peer is going away.
		p.c.msgsOut.Add(1)
		if except != nil {
			except.c.relayed.Add(1)
		}
		t, full, err := p.q.add(line, factor)
		if err != nil {
			p.c.msgsOut.Add(^uint64(0))
			if except != nil {
				except.c.relayed.Add(^uint64(0))
			}
			if err != errQueueClosed {
				p.slow()
			}
			continue
		}
		copies++
		if full {
			over = append(over, wait{p, t})
		}
	}
	n.fanOut.Unlock()
	for _, w := range over {
		var patience time.Duration // our own message: no patience
		if except != nil {
			patience = w.p.patience()
		}
		if w.p.q.waitRoom(w.t, factor, patience, w.p.gone) {
			w.p.slow()
		}
	}
	return copies
}
