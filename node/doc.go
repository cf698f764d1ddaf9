// Package node is one member of a flood-fill chat network: it listens on a
// transport.Transport (TCP, or memnet in one process), connects to peers with a
// HELLO handshake, and floods chat messages. Every message has a unique id;
// a node delivers a message the first time it sees the id, forwards it to
// every peer but the one it came from, and drops later copies, so cycles
// end. Whether an id is new is decided by the delivered log, which keeps
// each origin's delivered sequence numbers in a few bytes (ids are
// NODE-ID-SEQ), so a late copy is a duplicate however long ago the first
// one came; the seen table of recent ids' details is bounded by age and
// count, and a hop limit is a second safety net.
//
// The wire protocol is text, one frame per line (see docs/protocol.md):
//
//	HELLO 1 3f2a9c0d1e2b4a5c alice 127.0.0.1:55555
//	MSG 3f2a9c0d1e2b4a5c-1 1 alice hello, world
//	ERR reason
//	BYE reason
//	PING
//	GETPEERS
//	PEERS 127.0.0.1:55556 127.0.0.1:55557
//
// Each peer has one reader goroutine (one decoder) and one writer goroutine
// draining a bounded send queue through a buffered writer. A frame is
// queued to every peer in one step that never waits; whoever queued it
// then waits for room in queues past their bound, while their writers make
// progress. A peer whose full queue does not move for
// Config.SlowPeerTimeout is disconnected as slow. The flood path never
// blocks on a socket.
//
// Inside, each concern has a seam (docs/architecture.md): the codec is
// package wire; the network is a transport.Transport; a peer is a
// connection with a few verbs and one lifecycle (peer.go); the peer set
// owns the peers and broadcasts (peerset.go); how messages travel is a
// rule (rule.go; flood.go is the tutorial's); the address book
// (addrbook.go) keeps what auto-join (join.go) dials.
//
// The node prints nothing. It reports what happens on the Events channel,
// which must be drained: when it is full the node reads its sockets more
// slowly (backpressure) instead of dropping a delivered message. Close
// flushes every queue, says BYE, and returns once every goroutine the node
// started has ended.
package node
