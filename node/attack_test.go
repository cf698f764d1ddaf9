package node

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/p2p-chat/p2p/node/identity"
	"github.com/p2p-chat/p2p/node/transport"
	"github.com/p2p-chat/p2p/node/transport/memnet"
	"github.com/p2p-chat/p2p/node/wire"
)

// The attacks of docs/security.md on a signed network, played by hand
// with a raw connection that speaks protocol 2.

// signedRaw is a raw peer with a key of its own: it completes the signed
// handshake by hand and then writes whatever frames a test wants.
type signedRaw struct {
	*rawPeer
	key *identity.Key
}

// helloFields returns the node id and the nonce of a HELLO line.
func helloFields(t testing.TB, line string) (id, nonce string) {
	t.Helper()
	fields := strings.Fields(line)
	if len(fields) < 5 || fields[0] != "HELLO" {
		t.Fatalf("not a HELLO: %q", line)
	}
	for _, f := range fields[5:] {
		if v, ok := strings.CutPrefix(f, "nonce="); ok {
			nonce = v
		}
	}
	return fields[2], nonce
}

// dialSigned connects to addr as a protocol 2 node named name with key
// (a new one if nil), and completes the handshake.
func dialSigned(t testing.TB, tr transport.Transport, addr, name string, key *identity.Key) *signedRaw {
	t.Helper()
	if key == nil {
		var err error
		if key, err = identity.Generate(); err != nil {
			t.Fatal(err)
		}
	}
	p := &signedRaw{rawPeer: dialRaw(t, tr, addr), key: key}
	ours := identity.NewNonce()
	p.send(strings.TrimSuffix(wire.EncodeHello(2, key.ID(), name, "", 65536, key.PublicText(), ours), "\n"))
	theirID, theirs := helloFields(t, p.expect("HELLO 2 "))
	p.send(strings.TrimSuffix(wire.EncodeAuth(key.SignProof(identity.Transcript(true, []byte(theirs), []byte(ours), key.ID(), theirID, nil))), "\n"))
	p.expect("AUTH ")
	return p
}

// signedLine is a genuine SMSG line of key's.
func signedLine(key *identity.Key, hops int, seq uint64, ts int64, name, text string) string {
	signed := wire.SignedPart(key.PublicText(), seq, ts, name, text)
	return strings.TrimSuffix(wire.EncodeSignedMsg(hops, key.SignMessage(signed), signed), "\n")
}

// TestPreClaimedIDsDoNotCensor: an attacker who knows the victim's key
// sends 10,000 messages in its name with the next numbers first. None
// verifies, the first cuts the attacker, and every genuine message of the
// victim reaches every node. On protocol 1 the same claims went into the
// one table of ids, and the victim's messages were dropped as duplicates.
func TestPreClaimedIDsDoNotCensor(t *testing.T) {
	tr := memnet.New(0)
	c := newCluster(t, tr, 3, nil) // n0 (the victim) - n1 - n2
	c.link(chain(3))
	victim := c.nodes[0].key
	attacker := dialSigned(t, tr, c.nodes[1].Addr(), "mallory", nil)
	now := time.Now().UnixMilli()
	next := c.nodes[0].seq.Load() + 1
	var claims strings.Builder
	for i := range uint64(10_000) {
		// The victim's key and a signature that is not its: what anyone
		// can make.
		signed := wire.SignedPart(victim.PublicText(), next+i, now, "n0", "censored")
		claims.WriteString(wire.EncodeSignedMsg(1, strings.Repeat("A", identity.EncodedSigLen), signed))
	}
	attacker.conn.SetWriteDeadline(time.Now().Add(waitLimit(t)))
	attacker.conn.Write([]byte(claims.String())) // the node cuts it part way: errors are expected
	c.recs[1].waitDown(t, "bad signature")
	for i := range 100 {
		if _, err := c.nodes[0].Send(fmt.Sprintf("genuine %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	c.recs[1].waitMessages(t, 100)
	c.recs[2].waitMessages(t, 100)
	for i, r := range c.recs[1:] {
		for _, m := range r.messages() {
			if !strings.HasPrefix(m.Text, "genuine") || m.Origin != "n0" {
				t.Fatalf("n%d delivered %+v", i+1, m)
			}
		}
	}
	if s := c.nodes[1].Stats(); s.BadSignatures != 1 {
		t.Fatalf("n1 counted %d bad signatures, want 1 (the first cut the attacker)", s.BadSignatures)
	}
	if n := len(c.recs[1].errs); n != 1 {
		t.Fatalf("n1 reported %d errors, want the bad signature once", n)
	}
}

// TestForgedAndMisattributed: a message in another's key that the other
// did not sign is dropped and cuts the peer that sent it; a message the
// attacker signs with its own key under another's name is delivered with
// the attacker's node id in its id, so nobody takes it for the other's.
func TestForgedAndMisattributed(t *testing.T) {
	tr := memnet.New(0)
	c := newCluster(t, tr, 2, nil)
	c.link(chain(2))
	alice := c.nodes[0]
	m := dialSigned(t, tr, c.nodes[1].Addr(), "alice", nil)
	m.send(signedLine(m.key, 1, 1, time.Now().UnixMilli(), "alice", "my own key, her name"))
	c.recs[1].waitMessages(t, 1)
	got := c.recs[1].messages()[0]
	if strings.HasPrefix(got.ID, alice.ID()) || !strings.HasPrefix(got.ID, m.key.ID()+"-") {
		t.Fatalf("delivered %+v: its id must name the key that signed it (%s), not alice's (%s)", got, m.key.ID(), alice.ID())
	}
	// A genuine line of alice's with the text changed: the signature no
	// longer covers it.
	line := signedLine(alice.key, 1, alice.seq.Load()+1, time.Now().UnixMilli(), "n0", "pay bob 5")
	m.send(strings.Replace(line, "pay bob 5", "pay bob 500", 1))
	c.recs[1].waitDown(t, "bad signature")
	if s := c.nodes[1].Stats(); s.BadSignatures != 1 || s.Delivered != 1 {
		t.Fatalf("stats %+v: want 1 bad signature and only the first message delivered", s)
	}
}

// TestSquattedIDAndHijack: a node cannot take another's id, before it
// connects or in the middle of its handshake (a crossing dial).
func TestSquattedIDAndHijack(t *testing.T) {
	tr := memnet.New(0)
	// The victim's id is the smaller, so that a genuine crossing dial of
	// the victim's would replace the target's own young link to it: the
	// hijacker tries exactly that.
	k1, _ := identity.Generate()
	k2, _ := identity.Generate()
	if k2.ID() < k1.ID() {
		k1, k2 = k2, k1
	}
	keys := []*identity.Key{k1, k2}
	i := 0
	c := newCluster(t, tr, 2, func(cfg *Config) { cfg.Key = keys[i]; i++ })
	victim, target := c.nodes[0], c.nodes[1]

	// Claim the victim's id with another key: refused at HELLO.
	squat := dialRaw(t, tr, target.Addr())
	k, _ := identity.Generate()
	squat.send(strings.TrimSuffix(wire.EncodeHello(2, victim.ID(), "n0", "", 65536, k.PublicText(), identity.NewNonce()), "\n"))
	squat.expect("ERR protocol error: HELLO node id " + victim.ID() + " is not the id of its key")
	c.recs[1].waitFor(t, "the squat reported", func() bool { return len(c.recs[1].errs) == 1 })
	if s := target.Stats(); s.ProtocolErrors != 1 {
		t.Fatalf("target stats %+v: want the squat counted as 1 protocol error", s)
	}

	// Claim it with the victim's own key: no proof, no peer.
	hijack := func() {
		t.Helper()
		h := dialRaw(t, tr, target.Addr())
		h.send(strings.TrimSuffix(wire.EncodeHello(2, victim.ID(), "n0", "", 65536, victim.key.PublicText(), identity.NewNonce()), "\n"))
		h.expect("HELLO 2 ")
		h.send("AUTH " + strings.Repeat("A", identity.EncodedSigLen))
		h.expect("ERR " + ErrBadProof.Error())
	}
	hijack()
	if s := target.Stats(); s.BadProofs != 1 || s.Peers != 0 {
		t.Fatalf("target stats %+v: want 1 bad proof and no peer", s)
	}

	// The target dials the victim; while that link is young, a hijacker
	// dials the target as the victim, as a crossing dial would.
	if _, err := target.Connect(context.Background(), victim.Addr()); err != nil {
		t.Fatalf("connect: %v", err)
	}
	hijack()
	ps := target.Peers()
	if len(ps) != 1 || ps[0].ID != victim.ID() || ps[0].Inbound {
		t.Fatalf("target's peers %+v: want its own link to the victim", ps)
	}
	if s := target.Stats(); s.BadProofs != 2 {
		t.Fatalf("target stats %+v: want 2 bad proofs", s)
	}
	if _, err := victim.Send("still me"); err != nil {
		t.Fatal(err)
	}
	c.recs[1].waitMessages(t, 1)
}

// TestReplaysAreRefused: a recorded message resent later, after its
// details left the seen table, and after its origin left the delivered
// log (flushed by many new origins), is never delivered again.
func TestReplaysAreRefused(t *testing.T) {
	tr := memnet.New(0)
	const origins = 8
	c := newCluster(t, tr, 2, func(cfg *Config) { cfg.SeenMax, cfg.SeenOrigins = 4, origins })
	c.link(chain(2))
	// A recorder next to n0 keeps the line of n0's message.
	rec := dialSigned(t, tr, c.nodes[0].Addr(), "recorder", nil)
	if _, err := c.nodes[0].Send("once"); err != nil {
		t.Fatal(err)
	}
	c.recs[1].waitMessages(t, 1)
	recorded := rec.expect("SMSG ")
	m := dialSigned(t, tr, c.nodes[1].Addr(), "mallory", nil)
	replay := func() { m.send(recorded) }
	// 1. At once: a duplicate.
	replay()
	// 2. After the seen table forgot its details: still a duplicate.
	for i := range 10 {
		m.send(signedLine(m.key, 1, uint64(i+1), time.Now().UnixMilli(), "mallory", fmt.Sprint("filler ", i)))
	}
	replay()
	// 3. After the delivered log forgot its origin: stale.
	for i := range origins + 2 {
		k, _ := identity.Generate()
		m.send(signedLine(k, 1, 1, time.Now().UnixMilli(), fmt.Sprint("sybil", i), "flush"))
	}
	replay()
	// mallory's origin was flushed too: its next message must be newer
	// than what the log forgot of it, not the same millisecond.
	m.send(signedLine(m.key, 1, 100, time.Now().Add(time.Second).UnixMilli(), "mallory", "marker"))
	c.recs[1].waitFor(t, "the marker", func() bool {
		for _, msg := range c.recs[1].msgs {
			if msg.Text == "marker" {
				return true
			}
		}
		return false
	})
	if n := c.recs[1].count[firstID(c.recs[1], "once")]; n != 1 {
		t.Fatalf("the recorded message was delivered %d times, want 1", n)
	}
	s := c.nodes[1].Stats()
	if s.Stale != 1 || s.Duplicates < 2 {
		t.Fatalf("stats %+v: want the replay after the flush counted stale and the two before as duplicates", s)
	}
}

// firstID returns the id of the first message with text.
func firstID(r *recorder, text string) string {
	for _, m := range r.msgs {
		if m.Text == text {
			return m.ID
		}
	}
	return ""
}

// TestMessageFromTheFuture: a time further ahead than the allowed skew is
// refused and counted, and the peer is not cut (its clock may be wrong).
func TestMessageFromTheFuture(t *testing.T) {
	tr := memnet.New(0)
	c := newCluster(t, tr, 1, nil)
	m := dialSigned(t, tr, c.nodes[0].Addr(), "ahead", nil)
	ahead := time.Now().Add(2 * DefaultConfig().MaxClockSkew).UnixMilli()
	m.send(signedLine(m.key, 1, 1, ahead, "ahead", "too early"))
	m.send(signedLine(m.key, 1, 2, time.Now().UnixMilli(), "ahead", "on time"))
	c.recs[0].waitMessages(t, 1)
	if got := c.recs[0].messages()[0].Text; got != "on time" {
		t.Fatalf("delivered %q", got)
	}
	if s := c.nodes[0].Stats(); s.FromFuture != 1 || s.Peers != 1 {
		t.Fatalf("stats %+v: want 1 from the future and the peer kept", s)
	}
}

// TestAmbiguousNameIsRefused: two peers named alike; disconnect by name
// refuses and lists both ids; by id it cuts the one named.
func TestAmbiguousNameIsRefused(t *testing.T) {
	tr := memnet.New(0)
	c := newCluster(t, tr, 1, nil)
	a := dialSigned(t, tr, c.nodes[0].Addr(), "twin", nil)
	b := dialSigned(t, tr, c.nodes[0].Addr(), "twin", nil)
	err := c.nodes[0].Disconnect("twin")
	if !errors.Is(err, ErrAmbiguous) || !strings.Contains(err.Error(), a.key.ID()) || !strings.Contains(err.Error(), b.key.ID()) {
		t.Fatalf("Disconnect(twin) = %v, want ErrAmbiguous naming both ids", err)
	}
	if err := c.nodes[0].Disconnect(b.key.ID()); err != nil {
		t.Fatal(err)
	}
	if ps := c.nodes[0].Peers(); len(ps) != 1 || ps[0].ID != a.key.ID() {
		t.Fatalf("peers %+v: want only the other twin", ps)
	}
}
