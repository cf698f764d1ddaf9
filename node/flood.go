package node

import "github.com/p2p-chat/p2p/node/wire"

// flood is the tutorial's rule: the first copy of an id is delivered once
// and forwarded to every other peer; any later copy is counted as a
// duplicate and dropped, so cycles end. The seen set's add is the atomic
// test-and-set, so two copies racing in on two connections give one
// delivery and one forward. A hop limit is the second safety net.
type flood struct{ n *Node }

func (r flood) publish(line string) int {
	r.n.recent.add(line)
	return r.n.peers.broadcast(line, nil)
}

func (r flood) received(from *peer, f *wire.Frame) {
	n := r.n
	id, fresh := n.seen.add(f.ID, f.Origin)
	if !fresh {
		from.countDuplicate()
		return
	}
	from.countDelivered()

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
		n.peers.broadcast(line, from)
	}
	n.emit(Event{Kind: EventMessage, Peer: from.info, Message: Message{
		ID:     id,
		Origin: line[originStart : textStart-1],
		From:   from.info.Name,
		Hops:   f.Hops,
		Text:   line[textStart:textEnd],
	}})
}
