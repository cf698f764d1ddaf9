package node

import "github.com/p2p-chat/p2p/node/wire"

// rule is how messages travel: what to do with a message this node sends,
// and with a MSG frame from a peer. flood (flood.go) is the tutorial's;
// treeRule (tree.go) drives package broadcast's Plumtree. Both use the
// peer set's fan-out and the peer's verbs, and Node.emit for deliveries.
type rule interface {
	// publish sends a message this node originates and returns how many
	// peers it was queued to.
	publish(m *outMsg) int
	// received handles a MSG or SMSG frame from a peer. f is valid only
	// during the call. An error ends the connection with it as the reason.
	received(from *peer, f *wire.Frame) error
	// peerUp and peerDown: a peer was registered, or unregistered.
	peerUp(p *peer)
	peerDown(p *peer)
	// close: the node is closing (stop timers).
	close()
}
