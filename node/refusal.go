package node

import (
	"errors"
	"fmt"
	"strings"

	"github.com/p2p-chat/p2p/node/wire"
)

// ErrUnsupportedVersion is wrapped by the refusal of a HELLO whose
// protocol version this node cannot speak. ErrUnsigned is the refusal of
// a protocol 1 (unsigned) peer by a node that accepts only signed ones.
// ErrBadProof is a handshake whose other side did not prove it holds the
// key of the node id it claims.
var (
	ErrUnsupportedVersion = errors.New("protocol version is not supported")
	ErrUnsigned           = errors.New("unsigned peers are not accepted")
	ErrBadProof           = errors.New("handshake proof failed")
	ErrPenalized          = errors.New("penalized")
)

// versionError is the refusal of a HELLO with a version below
// MinProtocolVersion.
type versionError struct{ version int }

func (e *versionError) Error() string {
	return fmt.Sprintf("protocol version %d is not supported (this node speaks %d to %d)",
		e.version, wire.MinVersion, wire.Version)
}

func (e *versionError) Unwrap() error { return ErrUnsupportedVersion }

// RefusedError is the other side's refusal of a handshake: the reason in
// the ERR frame it answered our HELLO with. It wraps the sentinel the
// reason names (ErrSelf, ErrAlreadyConnected, ErrTooManyPeers,
// ErrUnsupportedVersion, or a *ProtocolError), so callers test it with
// errors.Is and errors.As, never by its text.
type RefusedError struct {
	Reason string
	err    error // what the reason names, or nil
}

func (e *RefusedError) Error() string { return "refused: " + e.Reason }
func (e *RefusedError) Unwrap() error { return e.err }

// refusalPhrases are how the refusals a node sends begin (the texts of the
// errors it refuses with); docs/protocol.md lists them. They are the only
// place a reason's text is matched.
var refusalPhrases = []struct {
	phrase string
	err    error
}{
	{ErrSelf.Error(), ErrSelf},
	{ErrAlreadyConnected.Error(), ErrAlreadyConnected},
	{ErrTooManyPeers.Error(), ErrTooManyPeers},
	{"protocol version ", ErrUnsupportedVersion},
	{ErrUnsigned.Error(), ErrUnsigned},
	{ErrBadProof.Error(), ErrBadProof},
	{ErrPenalized.Error(), ErrPenalized},
}

// refused turns the reason of an ERR frame received in the handshake into
// a *RefusedError.
func refused(reason string) error {
	e := &RefusedError{Reason: reason}
	if r, ok := strings.CutPrefix(reason, "protocol error: "); ok {
		e.err = &ProtocolError{Reason: r}
		return e
	}
	for _, rp := range refusalPhrases {
		if strings.HasPrefix(reason, rp.phrase) {
			e.err = rp.err
			break
		}
	}
	return e
}
