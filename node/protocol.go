package node

import "github.com/p2p-chat/p2p/node/wire"

// The wire protocol versions this package speaks, from MinProtocolVersion
// to ProtocolVersion. The codec is package wire; see docs/protocol.md.
const (
	ProtocolVersion    = wire.Version
	MinProtocolVersion = wire.MinVersion
)

// ProtocolError is a frame that could not be decoded. The connection that
// sent it is answered with an ERR frame and closed.
type ProtocolError = wire.ProtocolError

// ValidateName reports whether s can be a node name: 1 to 64 of A-Z a-z 0-9
// . _ -.
func ValidateName(s string) error { return wire.ValidateName(s) }

// ValidateText reports whether s can be sent as a message text: not empty,
// valid UTF-8, no control characters but TAB, and at most max bytes.
// Its errors wrap ErrEmptyText or ErrBadText.
func ValidateText(s string, max int) error { return wire.ValidateText(s, max) }
