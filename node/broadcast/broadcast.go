package broadcast

// MsgID names a message: its origin and the origin's sequence number.
type MsgID struct {
	Origin uint64
	Seq    uint64
}

// ActionKind is what an Action asks the driver to do.
type ActionKind uint8

const (
	Send    ActionKind = iota + 1 // send message ID, with Hops, to peer To
	Deliver                       // deliver message ID to the user (it crossed Hops links)
)

// Action is one thing a rule asks its driver to do.
type Action[P comparable] struct {
	Kind ActionKind
	To   P
	ID   MsgID
	Hops int
}

// Seen is the rule's memory of messages: Add reports whether id is new,
// and records it (the test-and-set). Drivers bring their own: the node
// its bounded seen set, the simulator a bitset.
type Seen interface {
	Add(id MsgID) bool
}

// Rule is a broadcast rule. Its methods append the actions an event
// causes to out and return it; a driver calls them from one goroutine at
// a time.
type Rule[P comparable] interface {
	PeerUp(p P)
	PeerDown(p P)
	// Publish is a message this node originates.
	Publish(id MsgID, out []Action[P]) []Action[P]
	// Received is a message from peer from that has crossed hops links.
	Received(from P, id MsgID, hops int, out []Action[P]) []Action[P]
}
