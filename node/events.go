package node

import (
	"fmt"
	"time"
)

// EventKind says what an Event reports.
type EventKind uint8

const (
	// EventListening is always the first event: the node listens on Addr.
	EventListening EventKind = iota + 1
	// EventPeerUp: a connection to Peer finished its handshake.
	EventPeerUp
	// EventPeerDown: the connection to Peer ended, for Reason.
	EventPeerDown
	// EventMessage: Message was delivered for the first time.
	EventMessage
	// EventError: something went wrong that is not a peer going down: a
	// bad frame from Peer, an ERR frame from Peer, a failed accept.
	EventError
	// EventDialing: auto-join is dialing Addr.
	EventDialing
	// EventDialFailed: auto-join could not connect to Addr, for Err.
	EventDialFailed
	// EventCatchup: Peer finished answering this node's summary
	// (catch-up) and CaughtUp messages new to this node came, from
	// CaughtUpOrigins origins. Only when some came.
	EventCatchup
)

func (k EventKind) String() string {
	switch k {
	case EventListening:
		return "listening"
	case EventPeerUp:
		return "connected"
	case EventPeerDown:
		return "disconnected"
	case EventMessage:
		return "message"
	case EventError:
		return "error"
	case EventDialing:
		return "dial"
	case EventDialFailed:
		return "dial_failed"
	case EventCatchup:
		return "catchup"
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Event is one thing that happened in the node. Which fields are set
// depends on Kind; see the EventKind constants.
type Event struct {
	Kind    EventKind
	Addr    string  // EventListening: the bound address; EventDialing, EventDialFailed: the address dialed
	Peer    Peer    // EventPeerUp, EventPeerDown, EventMessage (the neighbour it came from), EventError (if about a peer)
	Reason  string  // EventPeerDown
	Message Message // EventMessage
	Err     error   // EventError, EventDialFailed

	CaughtUp, CaughtUpOrigins int // EventCatchup
}

// Peer identifies a connected node.
type Peer struct {
	ID       string // its node id: derived from its key on a signed link, proven in the handshake
	Name     string // the name it announced (not unique: two nodes may share one)
	Addr     string // the listen address it announced ("" if none)
	Remote   string // the socket's remote address
	Inbound  bool   // it connected to us
	Protocol int    // the link's protocol version: 2 signed, 1 unsigned
	Key      string // its public key (wire form) on a signed link, else ""
	Tree     bool   // the link runs tree mode: both sides said so (else it floods)
}

// Message is a chat message as delivered.
type Message struct {
	ID     string
	Origin string // name of the node that sent it first
	From   string // name of the neighbour it arrived from ("" for our own)
	Hops   int    // links crossed to reach this node (0 for our own)
	Text   string
	// Unverified: the message came unsigned (protocol 1), so nothing
	// proves its origin; it was accepted only from the neighbour From.
	Unverified bool
	// Catchup: it came by catch-up (a peer sent it because this node
	// lacked it), not as it was flooded; Time is when its origin signed it.
	Catchup bool
	Time    time.Time
}

// Sent is what Send returns: the message and how many peers it was queued
// to.
type Sent struct {
	Message
	Peers int
}

// PeerInfo is a connected peer with its counters, as returned by Peers.
type PeerInfo struct {
	Peer
	Since      time.Time
	FramesIn   uint64
	FramesOut  uint64
	BytesIn    uint64
	BytesOut   uint64
	Delivered  uint64 // messages first received from this peer
	Duplicates uint64 // copies from this peer of messages already seen
	MsgsOut    uint64 // message copies queued to this peer (own and relayed)
	Relayed    uint64 // copies of messages first received from this peer, queued to others
	Queued     int    // frames waiting in its send queue now
	// Tree mode: of the origins whose trees this node keeps (Origins),
	// those for which the link is lazy (gets IHAVE, not the message).
	// A link with Tree false is a flood link: always eager.
	LazyOrigins int
	Origins     int
	// Synced: the peer has answered at least one summary of this node
	// (catch-up): what it had from before the link came up is here.
	Synced bool
}

// Stats are the node's counters since it started, including peers that
// have gone.
type Stats struct {
	Peers          int    // connected now
	Seen           int    // ids whose details (the seen command) are remembered now
	SeenOrigins    int    // origins whose delivered messages are remembered now
	GapJumps       uint64 // times an origin's missing messages were given up (see Config.SeenOrigins)
	Sent           uint64 // messages this node originated
	Delivered      uint64 // messages received for the first time
	Duplicates     uint64 // copies of messages already seen, dropped
	Forwarded      uint64 // copies of received messages queued to other peers
	MsgsOut        uint64 // MSG copies queued to peers, own and relayed: the transmissions
	FramesIn       uint64
	FramesOut      uint64
	BytesIn        uint64
	BytesOut       uint64
	ProtocolErrors uint64 // bad frames received
	SlowPeers      uint64 // peers disconnected as slow: their full queue did not move, or hit its hard limit
	RefusedConns   uint64 // connections refused at once: too many in their handshake
	TooLongForPeer uint64 // message copies not sent to a peer whose line limit is shorter
	BadSignatures  uint64 // signed messages whose signature did not verify: dropped, and their sender cut
	BadProofs      uint64 // handshakes whose other side did not prove it holds its key
	Stale          uint64 // signed messages refused as replays: older than what was forgotten of their origin
	FromFuture     uint64 // signed messages refused for a time further ahead than the allowed clock skew
	Unverified     uint64 // unsigned messages accepted from unsigned neighbours (-allow-unsigned, or -unsigned)
	ControlDropped uint64 // control frames past a peer's budget (PING, GETPEERS, PEERS, ERR, unknown), ignored
	Misbehaving    uint64 // peers cut for misbehaving: out of patience, or a bad signature
	Penalized      uint64 // connections refused and dials skipped because the address is in the penalty box

	// Payload (MSG, SMSG) and control (every other frame) traffic: the
	// control frames and bytes are FramesIn less PayloadFramesIn, and so on.
	PayloadFramesIn  uint64
	PayloadFramesOut uint64
	PayloadBytesIn   uint64
	PayloadBytesOut  uint64
	// Tree mode's frames: IHAVE frames sent and the ids in them, ids
	// received; GRAFT and PRUNE references sent and received; messages
	// sent in answer to GRAFT, and asked for past the peer's GraftRate
	// (ignored).
	IHavesOut     uint64
	IHaveIDsOut   uint64
	IHaveIDsIn    uint64
	GraftsOut     uint64
	GraftsIn      uint64
	PrunesOut     uint64
	PrunesIn      uint64
	GraftAnswers  uint64
	GraftsRefused uint64
	GraftMisses   uint64 // messages asked for by GRAFT that had left the cache: not answered
	TreeLost      uint64 // messages announced by IHAVE that never came though every announcer was asked: reported
	IHavesIgnored uint64 // announcements of missing messages ignored: 4 x TreeCache were already waited for

	// Catch-up: SUMMARY frames sent and received, messages sent by
	// catch-up (CMSG) and their bytes, messages received by catch-up and
	// how many of them were new, rounds refused (a peer asking again too
	// soon), and messages in the history now.
	SummariesOut     uint64
	SummariesIn      uint64
	CatchupOut       uint64
	CatchupBytesOut  uint64
	CatchupIn        uint64
	CatchupBytesIn   uint64
	CatchupDelivered uint64
	CatchupRefused   uint64
	History          int
}

// emitAbout reports an error about a peer.
func (n *Node) emitAbout(p *peer, err error) {
	n.emit(Event{Kind: EventError, Peer: p.info, Err: err})
}

// emit delivers an event to the consumer of Events. It blocks while the
// channel is full (backpressure: the reader that called it stops reading
// its socket) and gives up only when the node is closing; it reports
// whether the event went out.
func (n *Node) emit(ev Event) bool {
	select {
	case n.events <- ev:
		return true
	default:
	}
	select {
	case n.events <- ev:
		return true
	case <-n.closing:
		return false
	}
}
