// Package wire is the codec of the p2p line protocol: frame types, one
// Reader per connection that reads and checks frames (it owns the
// connection's bufio.Reader, so no bytes are lost between frames, and
// never buffers more than the line limit), and the encoders that build
// each frame as one string. It knows nothing of peers, queues or
// forwarding: every check that depends on a single line lives here, and a
// decoded Frame is either valid or a *ProtocolError.
//
// One frame per line, words separated by one space:
//
//	HELLO 1 3f2a9c0d1e2b4a5c alice 127.0.0.1:55555 max-line=65536
//	MSG 3f2a9c0d1e2b4a5c-1 1 alice hello, world
//	ERR reason
//	BYE reason
//	PING
//	GETPEERS
//	PEERS 127.0.0.1:55556 127.0.0.1:55557
//
// Protocol 2 adds AUTH and SMSG (signed messages); tree mode IHAVE, GRAFT
// and PRUNE (tree.go); catch-up SUMMARY, SUMMARYEND, CMSG and SYNCED
// (catchup.go).
//
// docs/protocol.md is the reference; node's transcript test keeps the two
// in step. To add a frame type: a frame word and a Kind here, its fields
// on Frame, a parse function called from parseFrame, an encoder, a case in
// the fuzz test's seeds, and a section in docs/protocol.md.
package wire
