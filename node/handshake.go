package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/p2p-chat/p2p/node/identity"
	"github.com/p2p-chat/p2p/node/wire"
)

// Connect dials addr, exchanges HELLO frames and adds the peer. It returns
// when the peer is up and its EventPeerUp is in the Events channel (so a
// consumer sees "connected" before anything it does after Connect; see
// Events for what that means for the consumer), or with an error that
// says why not. Refusals wrap ErrSelf, ErrAlreadyConnected,
// ErrTooManyPeers or ErrUnsupportedVersion, whichever side refused (the
// other side's come as a *RefusedError); ErrNoHello is a silent other
// side; anything else is a dial error.
func (n *Node) Connect(ctx context.Context, addr string) (Peer, error) {
	if n.isClosing() {
		return Peer{}, ErrClosed
	}
	if addr == n.addr {
		return Peer{}, fmt.Errorf("connect %s: %w: that is this node's own address", addr, ErrSelf)
	}
	if p := n.peerByAddr(addr); p != nil {
		return Peer{}, fmt.Errorf("connect %s: %w to %s", addr, ErrAlreadyConnected, p.info.Name)
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.DialTimeout)
	defer cancel()
	stop := context.AfterFunc(n.ctx, cancel) // Close ends a dial under way
	defer stop()
	conn, err := n.cfg.Transport.Dial(ctx, addr)
	if err != nil {
		return Peer{}, fmt.Errorf("connect %s: %w", addr, err)
	}
	if _, err := n.addPending(conn, false); err != nil {
		conn.Close()
		return Peer{}, fmt.Errorf("connect %s: %w", addr, err)
	}
	p, err := n.handshakeOut(ctx, conn)
	n.removePending(conn)
	if err != nil {
		conn.Close()
		return Peer{}, fmt.Errorf("connect %s: %w", addr, err)
	}
	p.waitUp()
	return p.info, nil
}

// handshakeOut sends our HELLO, reads the answer and registers the peer.
func (n *Node) handshakeOut(ctx context.Context, conn net.Conn) (*peer, error) {
	start := time.Now()
	deadline := start.Add(n.cfg.HandshakeTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn.SetDeadline(deadline)
	// A canceled context (a signal, Close) ends the handshake at once.
	fired := make(chan struct{})
	unwatch := context.AfterFunc(ctx, func() {
		conn.SetDeadline(time.Now())
		close(fired)
	})
	defer unwatch()
	nonce := identity.NewNonce()
	helloOut := n.helloLine(nonce)
	dec := wire.NewReader(conn, n.cfg.BufferSize, n.cfg.MaxLineBytes)
	_, err := conn.Write([]byte(helloOut))
	var f *wire.Frame
	var size int
	if err == nil {
		f, size, err = dec.Next()
	}
	if err == nil && f.Kind == wire.KindPeers {
		// A full node names others before it refuses: remember them.
		for _, a := range f.Addrs {
			n.learn(string(a), "", "", conn.RemoteAddr().String())
		}
		n.join.poke()
		f, size, err = dec.Next()
	}
	if err != nil {
		return nil, n.handshakeOutErr(ctx, conn, err, start, deadline)
	}
	switch f.Kind {
	case wire.KindHello:
	case wire.KindErr:
		return nil, refused(string(f.Reason))
	default:
		return nil, sendRefusal(conn, wire.Errorf("expected HELLO, got %s", f.Word))
	}
	h, err := n.checkHello(f)
	if err != nil {
		return nil, sendRefusal(conn, err)
	}
	sent := len(helloOut)
	if h.signed() {
		// We prove ourselves first, over the acceptor's nonce; it answers
		// with its proof over ours once it has registered us, or refuses.
		proof := n.proofLine(true, h, nonce, conn)
		if _, err := conn.Write([]byte(proof)); err != nil {
			return nil, n.handshakeOutErr(ctx, conn, err, start, deadline)
		}
		sent += len(proof)
		var authSize int
		f, authSize, err = dec.Next()
		if err != nil {
			return nil, n.handshakeOutErr(ctx, conn, err, start, deadline)
		}
		size += authSize
		if f.Kind == wire.KindErr {
			return nil, refused(string(f.Reason))
		}
		if err := n.checkProof(f, true, h, nonce, conn); err != nil {
			return nil, sendRefusal(conn, err)
		}
	}
	p, err := n.register(conn, dec, h, nonce, false)
	if err != nil {
		return nil, sendRefusal(conn, err)
	}
	p.countHandshake(sent, size)
	if !unwatch() {
		// Canceled just as the handshake ended: the deadline is set, so
		// the reader fails at once and unregisters the peer.
		<-fired
		n.start(p)
		return nil, context.Cause(ctx)
	}
	conn.SetDeadline(time.Time{})
	n.start(p)
	return p, nil
}

// handshakeOutErr explains a failed read or write of the dialer's
// handshake: canceled, the other side silent, or the error itself.
func (n *Node) handshakeOutErr(ctx context.Context, conn net.Conn, err error, start, deadline time.Time) error {
	var ne net.Error
	timedOut := errors.As(err, &ne) && ne.Timeout()
	if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return context.Cause(ctx) // canceled: a signal, Close
	}
	if timedOut || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w from %s within %v: is it a p2p node?", ErrNoHello, conn.RemoteAddr(),
			deadline.Sub(start).Round(100*time.Millisecond))
	}
	return handshakeReadErr(err)
}

// refusalPause is how long the accept loop waits after refusing a
// connection from a host in the penalty box.
const refusalPause = time.Millisecond

// acceptLoop accepts connections until the listener closes.
func (n *Node) acceptLoop() {
	defer n.wg.Done()
	backoff := 5 * time.Millisecond
	for {
		conn, err := n.ln.Accept()
		if err != nil {
			if n.isClosing() || errors.Is(err, net.ErrClosed) {
				return
			}
			n.emit(Event{Kind: EventError, Err: fmt.Errorf("accept: %w", err)})
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-n.closing:
				t.Stop()
				return
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		if !n.penalty.admit(conn.RemoteAddr().String(), time.Now()) {
			// A host cut for misbehaving (or a loopback one past its
			// throttle): no answer, no event; and a pause, so a host that
			// reconnects in a loop costs at most a thousand accepts a
			// second (the others wait in the kernel's backlog).
			n.penalized.Add(1)
			conn.Close()
			t := time.NewTimer(refusalPause)
			select {
			case <-t.C:
			case <-n.closing:
				t.Stop()
				return
			}
			continue
		}
		evicted, err := n.addPending(conn, true)
		if evicted != nil {
			// Room for the new one: the oldest still silent goes.
			n.refused.Add(1)
			evicted.Close()
		}
		if err != nil {
			// No event: under a connection flood the consumer of events
			// must not slow down accepting. Stats counts them.
			n.refused.Add(1)
			conn.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			conn.Write([]byte(wire.EncodeErr(err.Error())))
			conn.Close()
			continue
		}
		n.wg.Add(1)
		go n.handshakeIn(conn)
	}
}

// handshakeIn reads the dialer's HELLO and checks it; on a signed link it
// answers with our HELLO and reads the dialer's proof. Then it registers
// the peer, whose queue starts with our HELLO (protocol 1) or our proof
// (protocol 2), or refuses with ERR.
func (n *Node) handshakeIn(conn net.Conn) {
	defer n.wg.Done()
	// The slot is freed before any event is emitted: a slow consumer of
	// events must not keep failed handshakes holding the slots.
	done := sync.OnceFunc(func() { n.removePending(conn) })
	defer done()
	conn.SetDeadline(time.Now().Add(n.cfg.HandshakeTimeout))
	dec := wire.NewReader(conn, n.cfg.BufferSize, n.cfg.MaxLineBytes)
	var h hello
	f, size, err := dec.Next()
	if err == nil && f.Kind != wire.KindHello {
		err = wire.Errorf("expected HELLO, got %s", f.Word)
	}
	if err == nil {
		h, err = n.checkHello(f)
	}
	if err == nil {
		err = n.precheck(h)
	}
	sent := 0
	nonce := identity.NewNonce()
	if err == nil && h.signed() {
		// The dialer proves itself first, over our nonce; our proof is the
		// first frame of its queue once it is registered.
		hello := n.helloLine(nonce)
		sent = len(hello)
		if _, err = conn.Write([]byte(hello)); err == nil {
			var authSize int
			f, authSize, err = dec.Next()
			size += authSize
			if err == nil {
				err = n.checkProof(f, false, h, nonce, conn)
			}
		}
	}
	var p *peer
	if err == nil {
		p, err = n.register(conn, dec, h, nonce, true)
	}
	if err != nil {
		n.refuseIn(conn, h, handshakeReadErr(err))
		done()
		return
	}
	p.countHandshake(sent, size)
	conn.SetDeadline(time.Time{})
	n.start(p)
}

// refuseIn ends an inbound handshake with ERR (a full node names others
// first, so a joining node can find a place) and reports it.
func (n *Node) refuseIn(conn net.Conn, h hello, err error) {
	var pe *ProtocolError
	if errors.As(err, &pe) {
		n.protoErrs.Add(1)
	}
	if errors.Is(err, ErrTooManyPeers) {
		conn.SetWriteDeadline(time.Now().Add(time.Second))
		conn.Write([]byte(wire.EncodePeers(n.sampleAddrs(""))))
	}
	sendRefusal(conn, err)
	conn.Close()
	// At most one event a second: a flood of bad connections must not
	// flood the consumer of events.
	ok, held := n.reports.allow(time.Now())
	if held > 0 {
		n.emit(Event{Kind: EventError, Err: fmt.Errorf("%d more failed handshakes not shown (at most one is reported a second)", held)})
	}
	if !ok {
		return
	}
	what := fmt.Errorf("handshake with %s: %w", conn.RemoteAddr(), err)
	if h.id != "" {
		what = fmt.Errorf("refused %s from %s: %w", h.name, conn.RemoteAddr(), err)
	}
	n.emit(Event{Kind: EventError, Peer: Peer{ID: h.id, Name: h.name, Remote: conn.RemoteAddr().String(), Inbound: true}, Err: what})
}

// precheck refuses, before any proof is exchanged, what register would
// refuse now: a node already connected (unless this is a crossing dial)
// and a full node. register checks again, since both can change while
// the proofs cross.
func (n *Node) precheck(h hello) error {
	if old := n.peers.find(func(p *peer) bool { return p.info.ID == h.id }); old != nil && !n.keepNew(old, true, h.id) {
		return fmt.Errorf("%w to %s (node %s)", ErrAlreadyConnected, old.info.Name, h.id)
	}
	if !n.peers.canAdmit(n.cfg.MaxPeers) {
		return fmt.Errorf("%w: the limit is %d", ErrTooManyPeers, n.cfg.MaxPeers)
	}
	if n.penalty.boxed(h.listen, time.Now()) {
		n.penalized.Add(1)
		return fmt.Errorf("%w: %s was cut for misbehaving; try again later", ErrPenalized, h.listen)
	}
	return nil
}

// handshakeReadErr explains an error while waiting for HELLO.
func handshakeReadErr(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return errors.New("handshake timed out waiting for HELLO")
	}
	return err
}

// sendRefusal tells the other side why the handshake failed, best effort,
// and returns err.
func sendRefusal(conn net.Conn, err error) error {
	conn.SetWriteDeadline(time.Now().Add(time.Second))
	conn.Write([]byte(wire.EncodeErr(err.Error())))
	return err
}

// register adds the sender of a checked HELLO to the peers: it refuses a
// node already connected (but a crossing dial), peers over the limit, and
// everything once the node is closing.
//
// An inbound peer's queue starts with our answer: our HELLO on a protocol
// 1 link, our proof (over the dialer's nonce; ourNonce is the one it
// signed) on a signed one.
func (n *Node) register(conn net.Conn, dec *wire.Reader, h hello, ourNonce string, inbound bool) (*peer, error) {
	info := Peer{
		ID:       h.id,
		Name:     h.name,
		Addr:     advertisedAddr(h.listen, conn.RemoteAddr()),
		Remote:   conn.RemoteAddr().String(),
		Inbound:  inbound,
		Protocol: h.version,
		Key:      h.keyText,
		Tree:     h.tree && n.cfg.Mode == "tree",
	}
	if n.isClosing() {
		return nil, ErrClosed
	}
	p := newPeer(n, conn, dec, info, h.maxLine)
	switch {
	case inbound && h.signed():
		p.put(n.proofLine(false, h, ourNonce, conn))
	case inbound:
		p.put(n.helloLine(ourNonce))
	}
	replaced, err := n.peers.add(p, n.cfg.MaxPeers, func(old *peer) bool { return n.keepNew(old, inbound, info.ID) })
	if err != nil {
		return nil, err
	}
	// From now on every fan-out includes p: a message kept in the history
	// after this went (or goes) to p live; catch-up sends it what came
	// before.
	p.catchup.linkedAt = time.Now()
	switch {
	case replaced != nil && replaced.info.ID == info.ID:
		replaced.hangUp("replaced by a connection both nodes dialed at once")
	case replaced != nil:
		replaced.hangUp(fmt.Sprintf("evicted to make room for %s: this node is full, and of its inbound peers this one brought the least", info.Name))
	}
	// After publishing the peer: a message the flood path missed giving it
	// (it took the old peer list) was remembered before, so it is here.
	// Replay is for unsigned (protocol 1) nodes, which have no catch-up
	// (n.recent is nil on a signed node).
	if n.recent != nil {
		for _, line := range n.recent.appendTo(nil) {
			p.put(line) // at most Replay <= QueueFrames lines, into a new queue
		}
	}
	return p, nil
}

// keepNew decides between two connections to the same node when both
// nodes dialed each other at the same moment (the old one is young and goes
// the other way): both ends keep the one dialed by the smaller node id, so
// they agree without talking. Any other second connection is refused.
func (n *Node) keepNew(old *peer, inbound bool, otherID string) bool {
	if old.info.Inbound == inbound || time.Since(old.since) > n.cfg.HandshakeTimeout {
		return false
	}
	newDialer, oldDialer := n.id, otherID
	if inbound {
		newDialer, oldDialer = otherID, n.id
	}
	return newDialer < oldDialer
}

// start runs a registered peer's goroutines; the reader reports it up
// first, so its up event comes before its messages and its down event, and
// a slow consumer of events cannot hold up the handshake.
func (n *Node) start(p *peer) {
	n.rule.peerUp(p)
	n.sendSummary(p) // catch-up: the peer answers with what this node lacks
	n.peerUp(p)
	go p.writeLoop()
	go p.readLoop()
}

// unregister removes a peer whose goroutines are ending and keeps its
// counters.
func (n *Node) unregister(p *peer) {
	n.peers.remove(p)
	n.rule.peerDown(p)
	n.peerDown(p)
}

// peerByAddr returns the peer that announced or connected from addr.
func (n *Node) peerByAddr(addr string) *peer {
	return n.peers.find(func(p *peer) bool { return p.info.Addr == addr || p.info.Remote == addr })
}

// pendingConn is a connection in its handshake.
type pendingConn struct {
	inbound bool
	host    string // its remote host, if it may be limited (not loopback)
	since   time.Time
}

// errTooManyDials is a dial refused because MaxPeers dials are in their
// handshake already.
var errTooManyDials = errors.New("too many dials in their handshake")

// addPending tracks a connection in its handshake so Close can end it,
// within the limits: MaxPeers inbound ones, where a new one makes room by
// closing the oldest (an honest handshake takes milliseconds, so the
// oldest is the one that says nothing), at most a quarter of them from
// one host that is not this machine, and MaxPeers outbound ones, counted
// apart so that silent inbound connections never keep this node from
// dialling. The caller closes evicted.
func (n *Node) addPending(conn net.Conn, inbound bool) (evicted net.Conn, err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.isClosing() {
		return nil, ErrClosed
	}
	pc := pendingConn{inbound: inbound, since: time.Now()}
	if host, loopback := hostOf(conn.RemoteAddr().String()); !loopback {
		pc.host = host
	}
	var count, fromHost int
	var oldest net.Conn
	var oldestSince time.Time
	for c, p := range n.pending {
		if p.inbound != inbound {
			continue
		}
		count++
		if pc.host != "" && p.host == pc.host {
			fromHost++
		}
		if oldest == nil || p.since.Before(oldestSince) {
			oldest, oldestSince = c, p.since
		}
	}
	switch {
	case !inbound && count >= n.cfg.MaxPeers:
		return nil, errTooManyDials
	case inbound && pc.host != "" && fromHost >= max(1, n.cfg.MaxPeers/4):
		return nil, fmt.Errorf("%w: too many connections from %s in their handshake", ErrTooManyPeers, pc.host)
	case inbound && count >= n.cfg.MaxPeers:
		delete(n.pending, oldest)
		evicted = oldest
	}
	n.pending[conn] = pc
	return evicted, nil
}

func (n *Node) removePending(conn net.Conn) {
	n.mu.Lock()
	delete(n.pending, conn)
	n.mu.Unlock()
}
