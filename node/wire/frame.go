package wire

import (
	"errors"
	"fmt"
)

// Version is the highest wire protocol version this package speaks.
// MinVersion is the lowest it accepts. See docs/protocol.md.
const (
	Version    = 2
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
	frameAuth  = "AUTH"
	frameSMsg  = "SMSG"
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
	KindAuth       // protocol 2: the handshake proof
	KindSignedMsg  // protocol 2: a signed message
	KindIHave      // tree mode: message ids a lazy link announces
	KindGraft      // tree mode: be eager (and send these messages)
	KindPrune      // tree mode: be lazy
	KindSummary    // catch-up: what the sender has delivered, per origin
	KindSummaryEnd // catch-up: the summary is complete
	KindCatchup    // catch-up: a signed message sent because the other side lacked it (fields as SMSG)
	KindSynced     // catch-up: done answering a summary (Count messages)
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
	Key     []byte // protocol 2: the sender's public key (wire form), from key=
	Nonce   []byte // protocol 2: the sender's fresh nonce (wire form), from nonce=
	Mode    []byte // the sender's broadcast rule, from mode= ("tree"; absent means flood)

	// MSG, SMSG (ID is MSG's only)
	ID     []byte
	Hops   int
	Origin []byte // the origin's name
	Text   []byte

	// SMSG (Key above is the origin's key) and AUTH (Sig only)
	Sig    []byte // the signature, wire form
	Seq    uint64 // the origin's sequence number
	Time   int64  // when the origin signed it, Unix milliseconds
	Signed []byte // the bytes the signature covers: "KEY SEQ TIME NAME TEXT" (see SignedPart)

	// ERR, BYE
	Reason []byte

	// PEERS
	Addrs [][]byte

	// IHAVE, GRAFT, PRUNE, SUMMARY: the references, checked (see EachRef)
	Refs []byte
	// SYNCED
	Count int
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

// MaxText is the longest message text that fits in a MSG or SMSG line of
// at most maxLine bytes whatever its id, hop count, origin, key, numbers
// and signature.
func MaxText(maxLine int) int {
	msg := len(frameMsg) + 1 + maxTokenLen + 1 + 5 + 1 + maxTokenLen + 1
	smsg := len(frameSMsg) + 1 + 5 + 1 + sigLen + 1 + keyLen + 1 + 19 + 1 + 19 + 1 + maxTokenLen + 1
	return maxLine - max(msg, smsg)
}

// keyLen, sigLen and nonceLen are the lengths of a public key, a signature
// and a nonce on the wire (unpadded base64url of 32, 64 and 16 bytes).
const (
	keyLen   = 43
	sigLen   = 86
	nonceLen = 22
)
