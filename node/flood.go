package node

import (
	"fmt"
	"time"

	"github.com/p2p-chat/p2p/node/broadcast"
	"github.com/p2p-chat/p2p/node/identity"
	"github.com/p2p-chat/p2p/node/store"
	"github.com/p2p-chat/p2p/node/wire"
)

// flood is the tutorial's rule: the first copy of an id is delivered once
// and forwarded to every other peer; any later copy is counted as a
// duplicate and dropped, so cycles end. The seen set's add is the atomic
// test-and-set, so two copies racing in on two connections give one
// delivery and one forward. A hop limit is the second safety net.
//
// A signed message is verified once, before its id is marked seen,
// delivered or forwarded: a copy of a message already delivered is a
// duplicate without a second verification (a forged copy of it changes
// nothing), and a message nobody delivered yet is believed only if its
// origin's key signed it. So nobody can claim an id first, and relays
// never re-sign.
type flood struct{ n *Node }

func (flood) peerUp(*peer)   {}
func (flood) peerDown(*peer) {}
func (flood) close()         {}

func (r flood) publish(m *outMsg) int {
	r.n.recent.add(m.lineFor(r.n.version >= 2))
	return r.n.peers.broadcast(m, nil)
}

func (r flood) received(from *peer, f *wire.Frame) error {
	signed := f.Kind == wire.KindSignedMsg || f.Kind == wire.KindCatchup
	switch {
	case signed && !from.signed():
		return wire.Errorf("%s on an unsigned (protocol 1) link", f.Word)
	case signed:
		return r.receivedSigned(from, f)
	case from.signed():
		return wire.Errorf("MSG on a signed link: protocol 2 carries messages in SMSG frames")
	case r.n.version == 1:
		r.receivedPlain(from, f)
		return nil
	default:
		r.receivedUnverified(from, f)
		return nil
	}
}

// receivedSigned checks, delivers and forwards a signed message.
func (r flood) receivedSigned(from *peer, f *wire.Frame) error {
	n := r.n
	v, id, mid, err := n.admitSigned(from, f)
	if v != admitFresh {
		return err
	}
	d := n.relaySigned(from, f, id, mid)
	if d.forward {
		n.recent.add(d.out.signed)
		n.peers.broadcast(&d.out, from)
	}
	n.deliver(d.record(), d.event)
	return nil
}

// admitResult is what admitSigned made of a signed message.
type admitResult uint8

const (
	admitDropped   admitResult = iota // refused (counted and reported), or a bad signature (err)
	admitDuplicate                    // delivered before: counted as a duplicate
	admitFresh                        // verified and now delivered: the caller delivers and forwards it
)

// admitSigned runs a signed message's checks, in the order that costs
// least: a copy of a delivered message is a duplicate without being
// verified; then the clock skew; then the signature, once; only then the
// test-and-set in the delivered log. It returns the message id (text, and
// as origin and sequence number) and, for a bad signature, the error that
// ends the connection.
func (n *Node) admitSigned(from *peer, f *wire.Frame) (admitResult, string, broadcast.MsgID, error) {
	pub, node, id, ok := originOf(from.keyBuf[:], f.Key, f.Seq)
	if !ok {
		return admitDropped, "", broadcast.MsgID{}, wire.Errorf("SMSG key is not a public key")
	}
	mid := broadcast.MsgID{Origin: node, Seq: f.Seq}
	if n.seen.has(node, f.Seq) {
		n.seen.duplicate(node, f.Seq)
		from.countDuplicate()
		return admitDuplicate, id, mid, nil
	}
	now := time.Now().UnixMilli()
	if f.Time > now+n.cfg.MaxClockSkew.Milliseconds() {
		n.future.Add(1)
		from.report(time.Now(), fmt.Errorf("%s: message %s from %s dropped: signed %v ahead of this node's clock (the limit is %v)",
			from.info.Name, id, f.Origin, time.Duration(f.Time-now)*time.Millisecond, n.cfg.MaxClockSkew))
		return admitDropped, id, mid, nil
	}
	sig, err := identity.DecodeSig(from.sigBuf[:], f.Sig)
	if err != nil || !n.keys.VerifyMessage(pub, f.Signed, sig) {
		n.badSigs.Add(1)
		return admitDropped, id, mid, &BadSignatureError{Peer: from.info.Name, ID: id, Origin: string(f.Origin)}
	}
	switch n.seen.addSigned(node, f.Seq, f.Time, now, f.Origin) {
	case isDuplicate:
		from.countDuplicate()
		return admitDuplicate, id, mid, nil
	case isStale:
		n.stale.Add(1)
		from.report(time.Now(), fmt.Errorf("%s: message %s from %s refused: a replay, older than what this node forgot of its origin",
			from.info.Name, id, f.Origin))
		return admitDropped, id, mid, nil
	}
	from.countDelivered()
	return admitFresh, id, mid, nil
}

// record is the message as a store keeps it.
func (d *relay) record() store.Record {
	return store.Record{Node: d.out.mid.Origin, Seq: d.out.mid.Seq, At: time.Now().UnixNano(), Line: d.out.signed}
}

// relay is a freshly admitted signed message: the copy to forward (its
// hop count one more), whether it may go on, and the event that delivers
// it.
type relay struct {
	out     outMsg
	forward bool
	event   Event
}

// relaySigned makes the forwarded frame of an admitted message in one
// allocation; the delivered message's origin and text are slices of it. A
// message at the hop limit, or whose line would grow past the line limit,
// is delivered but not forwarded.
//
// It also keeps the message in the history, and marks one that came by
// catch-up as such.
func (n *Node) relaySigned(from *peer, f *wire.Frame, id string, mid broadcast.MsgID) relay {
	line := wire.EncodeSignedMsg(f.Hops+1, string(f.Sig), f.Signed)
	textEnd := len(line) - 1
	textStart := textEnd - len(f.Text)
	originStart := textStart - 1 - len(f.Origin)
	origin, text := line[originStart:textStart-1], line[textStart:textEnd]
	d := relay{
		out:     outMsg{signed: line, id: id, hops: f.Hops + 1, origin: f.Origin, text: f.Text, mid: mid},
		forward: f.Hops < n.cfg.MaxHops && len(line)-1 <= n.cfg.MaxLineBytes,
		event: Event{Kind: EventMessage, Peer: from.info, Message: Message{
			ID: id, Origin: origin, From: from.info.Name, Hops: f.Hops, Text: text,
		}},
	}
	if f.Kind == wire.KindCatchup {
		d.event.Message.Catchup, d.event.Message.Time = true, time.UnixMilli(f.Time)
		from.noteCatchup(mid.Origin)
	}
	n.history.add(mid.Origin, mid.Seq, line, d.event.Message, time.Now())
	return d
}

// receivedPlain is the unsigned node's rule (protocol 1, the tutorial's
// network): every message is believed as it says.
func (r flood) receivedPlain(from *peer, f *wire.Frame) {
	n := r.n
	if !n.seen.add(f.ID, f.Origin) {
		from.countDuplicate()
		return
	}
	from.countDelivered()
	n.unverified.Add(1)

	line := wire.EncodeMsgOf(f.ID, f.Hops+1, f.Origin, f.Text)
	id := line[len("MSG "):][:len(f.ID)]
	textEnd := len(line) - 1
	textStart := textEnd - len(f.Text)
	originStart := textStart - 1 - len(f.Origin)

	// A line at the limit can grow by a digit when its hop count does; never
	// send a peer a line it must refuse.
	if f.Hops < n.cfg.MaxHops && len(line)-1 <= n.cfg.MaxLineBytes {
		n.recent.add(line)
		n.peers.broadcast(&outMsg{plain: line}, from)
	}
	n.emit(Event{Kind: EventMessage, Peer: from.info, Message: Message{
		ID:         id,
		Origin:     line[originStart : textStart-1],
		From:       from.info.Name,
		Hops:       f.Hops,
		Text:       line[textStart:textEnd],
		Unverified: true,
	}})
}

// receivedUnverified takes an unsigned message from an unsigned neighbour
// of a signed node (AllowUnsigned): it is delivered as unverified, via
// that neighbour; forwarded as it is to the other unsigned neighbours; and
// told to the signed peers as this node's own signed message, which says
// where it came from and that nothing proves its origin. It never passes
// as a message of the origin it names.
func (r flood) receivedUnverified(from *peer, f *wire.Frame) {
	n := r.n
	if !n.plain.add(f.ID, f.Origin) {
		from.countDuplicate()
		return
	}
	id := string(f.ID)
	from.countDelivered()
	n.unverified.Add(1)
	origin, text := string(f.Origin), string(f.Text)
	if f.Hops < n.cfg.MaxHops {
		n.peers.broadcast(&outMsg{plain: wire.EncodeMsg(id, f.Hops+1, f.Origin, f.Text)}, from)
	}
	told := fmt.Sprintf("[unverified: says it is from %s, via %s] %s", origin, from.info.Name, text)
	if ValidateText(told, n.cfg.MaxTextBytes()) == nil {
		_, m := n.newMessage(told)
		m.id = "" // unsigned links had the original
		// As a relay of from's (which, unsigned, does not get it back): the
		// reader waits with a relay's patience, so cycles of full queues
		// unwind (see sendQueue).
		n.peers.broadcast(m, from)
	}
	n.emit(Event{Kind: EventMessage, Peer: from.info, Message: Message{
		ID: id, Origin: origin, From: from.info.Name, Hops: f.Hops, Text: text, Unverified: true,
	}})
}

// BadSignatureError is a signed message whose signature does not verify.
// An honest node verifies before it forwards, so the peer that sent it is
// cut.
type BadSignatureError struct {
	Peer, ID, Origin string
}

func (e *BadSignatureError) Error() string {
	return fmt.Sprintf("bad signature: message %s, said to be from %s, does not verify against its key", e.ID, e.Origin)
}
