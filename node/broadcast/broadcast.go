package broadcast

import "time"

// MsgID names a message: its origin and the origin's sequence number
// (from 1). The zero MsgID names no message: a GRAFT about it asks for
// none (see Tree's optimisation).
type MsgID struct {
	Origin uint64
	Seq    uint64
}

// ActionKind is what an Action asks the driver to do.
type ActionKind uint8

const (
	Send     ActionKind = iota + 1 // send Frame about message ID (with Hops) to peer To
	Deliver                        // deliver message ID to the user (it crossed Hops links)
	SetTimer                       // call TimerFired(ID) After from now
	Lost                           // message ID was announced but never came: the rule gave up on it
)

// Frame is what a Send carries: the message itself, or a tree rule's
// control frame about it.
type Frame uint8

const (
	Gossip Frame = iota // the whole message (a MSG or SMSG frame)
	IHave               // "I have message ID, Hops links from its origin": a lazy link's announcement
	Graft               // "be an eager link, and send me message ID" (none for the zero ID)
	Prune               // "I had it already: be a lazy link"
)

// Action is one thing a rule asks its driver to do.
type Action[P comparable] struct {
	Kind  ActionKind
	To    P
	Frame Frame
	ID    MsgID
	Hops  int
	After time.Duration
}

// Seen is the rule's memory of messages: Add reports whether id is new,
// and records it (the test-and-set); Has reports whether it was added.
// Drivers bring their own: the node its delivered log, the simulator a
// bitset.
type Seen interface {
	Add(id MsgID) bool
	Has(id MsgID) bool
}

// Rule is a broadcast rule. Its methods append the actions an event
// causes to out and return it; a driver calls them from one goroutine at
// a time.
type Rule[P comparable] interface {
	PeerUp(p P)
	PeerDown(p P)
	// Publish is a message this node originates.
	Publish(id MsgID, out []Action[P]) []Action[P]
	// Received is a frame from peer from about message id; a Gossip
	// frame has crossed hops links, an IHave says the announcer's copy
	// would have.
	Received(from P, f Frame, id MsgID, hops int, out []Action[P]) []Action[P]
	// TimerFired is the timer a SetTimer action asked for.
	TimerFired(id MsgID, out []Action[P]) []Action[P]
}
