package node

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/p2p-chat/p2p/node/broadcast"
	"github.com/p2p-chat/p2p/node/identity"
	"github.com/p2p-chat/p2p/node/wire"
)

// outMsg is one message as each kind of link carries it: signed links get
// its SMSG line, unsigned (protocol 1) links its MSG line, which is made
// on first use from the fields below (most networks have no unsigned
// link). An empty line, with no id to make the other from, means the
// message does not go on that kind of link.
type outMsg struct {
	signed string          // SMSG line, or "" for an unsigned message
	plain  string          // MSG line, or "" until made
	mid    broadcast.MsgID // origin and sequence number of a signed message (tree mode)

	// What the MSG line is made of, when it is not given.
	id     string
	hops   int
	origin []byte
	text   []byte
}

// lineFor returns the line for a link of the given kind, or "" if the
// message does not go on it.
func (m *outMsg) lineFor(signedLink bool) string {
	if signedLink {
		return m.signed
	}
	if m.plain == "" && m.id != "" {
		m.plain = wire.EncodeMsg(m.id, m.hops, m.origin, m.text)
	}
	return m.plain
}

// originOf derives, from a signed message's key, the origin's node id as
// a number (for the delivered log) and the message id NODE-ID-SEQ (for
// people and for unsigned links). ok is false for a key that does not
// decode; pub is the decoded key, in buf.
func originOf(buf []byte, key []byte, seq uint64) (pub []byte, node uint64, id string, ok bool) {
	k, err := identity.DecodeKey(buf, key)
	if err != nil {
		return nil, 0, "", false
	}
	sum := sha256.Sum256(k)
	var b [16 + 1 + 20]byte
	hex.Encode(b[:16], sum[:8])
	b[16] = '-'
	idb := strconv.AppendUint(b[:17], seq, 10)
	return k, binary.BigEndian.Uint64(sum[:8]), string(idb), true
}

// newMessage makes this node's next message: signed, or unsigned for an
// unsigned node. It records it as delivered, so no copy of it is ever
// delivered back here.
func (n *Node) newMessage(text string) (Message, *outMsg) {
	seq := n.seq.Add(1)
	var buf [16 + 1 + 20]byte
	idb := strconv.AppendUint(append(append(buf[:0], n.id...), '-'), seq, 10)
	if n.key == nil {
		n.seen.addOwn(seqNode(n.id), seq, n.name)
		line := wire.EncodeMsgOf(idb, 1, []byte(n.name), []byte(text))
		id := line[len("MSG "):][:len(idb)] // the line holds the id: no copy of its own
		return Message{ID: id, Origin: n.name, Text: text}, &outMsg{plain: line}
	}
	id := string(idb)
	msg := Message{ID: id, Origin: n.name, Text: text}
	now := time.Now().UnixMilli()
	signed := wire.SignedPart(n.key.PublicText(), seq, now, n.name, text)
	line := wire.EncodeSignedMsg(1, n.key.SignMessage(signed), signed)
	n.seen.addSigned(seqNode(n.id), seq, now, now, []byte(n.name))
	return msg, &outMsg{signed: line, id: id, hops: 1, origin: []byte(n.name), text: []byte(text),
		mid: broadcast.MsgID{Origin: seqNode(n.id), Seq: seq}}
}

// seqNode is a node id's number (its 16 hex digits).
func seqNode(id string) uint64 {
	v, _ := strconv.ParseUint(id, 16, 64)
	return v
}
