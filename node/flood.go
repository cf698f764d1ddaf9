package node

// flood is the whole flood rule for a MSG frame from peer from: the first
// copy of an id is forwarded to every other peer and delivered once; any
// later copy is counted as a duplicate and dropped. seen.add is the atomic
// test-and-set, so two copies racing in on two connections give one
// delivery and one forward.
func (n *Node) flood(from *peer, f *frame) {
	id, fresh := n.seen.add(f.id, f.origin)
	if !fresh {
		from.c.duplicates.Add(1)
		return
	}
	from.c.delivered.Add(1)

	// One allocation holds the forwarded frame; the delivered message's
	// origin and text are slices of it.
	line := encodeMsg(id, f.hops+1, f.origin, f.text)
	textEnd := len(line) - 1
	textStart := textEnd - len(f.text)
	originStart := textStart - 1 - len(f.origin)

	// A line at the limit can grow by a digit when its hop count does; never
	// send a peer a line it must refuse.
	if f.hops < n.cfg.MaxHops && len(line)-1 <= n.cfg.MaxLineBytes {
		n.recent.add(line)
		from.c.relayed.Add(uint64(n.forward(line, from)))
	}
	n.emit(Event{Kind: EventMessage, Peer: from.info, Message: Message{
		ID:     id,
		Origin: line[originStart : textStart-1],
		From:   from.info.Name,
		Hops:   f.hops,
		Text:   line[textStart:textEnd],
	}})
}

// forward queues line to every peer but except and returns how many took
// it. fanOut makes each fan-out one step, so every peer's queue gets this
// node's frames in the same order: a message this node sends is never
// overtaken, on any link, by a reply to it that this node forwards.
func (n *Node) forward(line string, except *peer) int {
	n.fanOut.Lock()
	defer n.fanOut.Unlock()
	copies := 0
	for _, p := range *n.peerList.Load() {
		if p == except {
			continue
		}
		if p.push(line) {
			p.c.msgsOut.Add(1)
			copies++
		}
	}
	return copies
}
