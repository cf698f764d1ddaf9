package node

import (
	"crypto/ed25519"
	"fmt"
	"net"

	"github.com/p2p-chat/p2p/node/identity"
	"github.com/p2p-chat/p2p/node/wire"
)

// hello is a peer's HELLO, copied out of the decoder's buffer and checked.
type hello struct {
	version int // the link's protocol: the lower of both sides' versions
	id      string
	name    string
	listen  string
	maxLine int
	key     ed25519.PublicKey // protocol 2 links only
	keyText string
	nonce   string
	tree    bool // it runs tree mode (mode=tree), on a signed link
}

// signed reports whether the link carries signed messages (protocol 2).
func (h hello) signed() bool { return h.version >= 2 }

// checkHello copies a HELLO frame and checks what does not depend on the
// peer set: the version, whether an unsigned peer may come in, that a
// protocol 2 node id is the id of its key, and that it is not this node.
func (n *Node) checkHello(f *wire.Frame) (hello, error) {
	h := hello{
		version: min(f.Version, n.version),
		id:      string(f.NodeID),
		name:    string(f.Name),
		listen:  string(f.Listen),
		maxLine: f.MaxLine,
	}
	if h.version < wire.MinVersion {
		return h, &versionError{f.Version}
	}
	if !h.signed() && n.version >= 2 && !n.cfg.AllowUnsigned {
		return h, fmt.Errorf("%w: %s speaks protocol %d, without signatures; this node takes only signed peers (start it with -allow-unsigned to let unsigned neighbours in)",
			ErrUnsigned, h.name, f.Version)
	}
	if h.signed() && (f.Key == nil || f.Nonce == nil) {
		return h, wire.Errorf("HELLO version %d needs key= and nonce= (a protocol 1 node says HELLO 1)", f.Version)
	}
	if h.signed() {
		key, err := identity.DecodeKey(make([]byte, identity.PublicKeySize+2), f.Key)
		if err != nil {
			return h, wire.Errorf("HELLO key: %v", err)
		}
		if id := identity.NodeID(key); id != h.id {
			return h, wire.Errorf("HELLO node id %s is not the id of its key (that is %s)", h.id, id)
		}
		h.key, h.keyText, h.nonce = key, string(f.Key), string(f.Nonce)
		h.tree = string(f.Mode) == "tree"
	}
	if h.id == n.id {
		return h, ErrSelf
	}
	return h, nil
}

// helloLine is this node's HELLO; nonce is fresh for each connection (and
// unused by a protocol 1 node).
func (n *Node) helloLine(nonce string) string {
	if n.key == nil {
		return wire.EncodeHello(n.version, n.id, n.name, n.addr, n.cfg.MaxLineBytes, "", "")
	}
	if n.cfg.Mode == "tree" {
		return wire.EncodeHello(n.version, n.id, n.name, n.addr, n.cfg.MaxLineBytes, n.key.PublicText(), nonce, "mode=tree")
	}
	return wire.EncodeHello(n.version, n.id, n.name, n.addr, n.cfg.MaxLineBytes, n.key.PublicText(), nonce)
}

// proofLine is this node's AUTH on a link: its signature of the
// transcript, in the role it has on the link.
func (n *Node) proofLine(dialer bool, h hello, ourNonce string, conn net.Conn) string {
	t := identity.Transcript(dialer, []byte(h.nonce), []byte(ourNonce), n.id, h.id, channelBinding(conn))
	return wire.EncodeAuth(n.key.SignProof(t))
}

// checkProof verifies the other side's AUTH frame: the signature, by the
// key of its HELLO, of the transcript in its role (the other one than
// ours), over our fresh nonce.
func (n *Node) checkProof(f *wire.Frame, dialer bool, h hello, ourNonce string, conn net.Conn) error {
	if f.Kind != wire.KindAuth {
		return wire.Errorf("expected AUTH, got %s", f.Word)
	}
	sig, err := identity.DecodeSig(make([]byte, identity.SignatureSize+2), f.Sig)
	if err == nil {
		t := identity.Transcript(!dialer, []byte(ourNonce), []byte(h.nonce), h.id, n.id, channelBinding(conn))
		if identity.VerifyProof(h.key, t, sig) {
			return nil
		}
	}
	n.badProofs.Add(1)
	return fmt.Errorf("%w: %s did not prove it holds the key of node %s", ErrBadProof, h.name, h.id)
}

// channelBinding is what binds a proof to an encrypted link (the
// transport's handshake hash), or nil for a plain one.
func channelBinding(conn net.Conn) []byte {
	if b, ok := conn.(interface{ ChannelBinding() []byte }); ok {
		return b.ChannelBinding()
	}
	return nil
}
