package wire

import (
	"errors"
	"fmt"
)

// Version is the highest wire protocol version this package speaks.
// MinVersion is the lowest it accepts. See docs/protocol.md.
const (
	Version    = 1
	MinVersion = 1
)

// Frame type words, the first word of every line on the wire.
const (
	frameHello = "HELLO"
	frameMsg   = "MSG"
	frameErr   = "ERR"
	frameBye   = "BYE"
	framePing  = "PING"
	frameAsk   = "GETPEERS"
	framePeers = "PEERS"
)

// Wire limits that do not depend on Config.
const (
	maxTokenLen  = 64    // node ids, message ids, names
	maxAddrLen   = 255   // listen addresses
	MaxHops      = 65535 // a hop count above this is malformed
	maxReasonLen = 1024  // ERR and BYE reasons we send are cut to this
	MaxPeerAddrs = 32    // addresses in one PEERS frame
	MinMaxLine   = 512   // the least line limit a node may have
)

// Kind is the type of a decoded frame.
type Kind uint8

const (
	KindHello Kind = iota + 1
	KindMsg
	KindErr
	KindBye
	KindPing
	KindGetPeers
	KindPeers
	KindUnknown
)

// Frame is one decoded line. Its byte slices point into the Reader's buffer
// and are valid only until the next call to Reader.Next.
type Frame struct {
	Kind Kind
	Word []byte // the type word as received (for unknown frames)

	// HELLO
	MaxLine int // the sender's line limit, 0 if it did not say
	Version int
	NodeID  []byte
	Name    []byte
	Listen  []byte

	// MSG
	ID     []byte
	Hops   int
	Origin []byte
	Text   []byte

	// ERR, BYE
	Reason []byte

	// PEERS
	Addrs [][]byte
}

// ProtocolError is a frame that could not be decoded. The connection that
// sent it is answered with an ERR frame and closed.
type ProtocolError struct {
	Reason string
}

func (e *ProtocolError) Error() string { return "protocol error: " + e.Reason }

// Errorf returns a *ProtocolError with a formatted reason.
func Errorf(format string, args ...any) *ProtocolError {
	return &ProtocolError{Reason: fmt.Sprintf(format, args...)}
}

// reasonOf is the reason of a *ProtocolError, or else the error's text.
func reasonOf(err error) string {
	var pe *ProtocolError
	if errors.As(err, &pe) {
		return pe.Reason
	}
	return err.Error()
}

// MaxText is the longest message text that fits in a MSG line of at most
// maxLine bytes whatever its id, hop count and origin.
func MaxText(maxLine int) int {
	return maxLine - (len(frameMsg) + 1 + maxTokenLen + 1 + 5 + 1 + maxTokenLen + 1)
}
