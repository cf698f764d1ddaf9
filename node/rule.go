package node

import "github.com/p2p-chat/p2p/node/wire"

// rule is how messages travel: what to do with a message this node sends,
// and with a MSG frame from a peer. flood (flood.go) is the one rule
// today; a second one (a tree of eager and lazy links) sits beside it by
// implementing the same two methods, using the peer set's broadcast and
// the peer's verbs, and Node.emit for deliveries.
type rule interface {
	// publish sends a message this node originates and returns how many
	// peers it was queued to.
	publish(m *outMsg) int
	// received handles a MSG or SMSG frame from a peer. f is valid only
	// during the call. An error ends the connection with it as the reason.
	received(from *peer, f *wire.Frame) error
}
