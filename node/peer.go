package node

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/p2p-chat/p2p/node/identity"
	"github.com/p2p-chat/p2p/node/wire"
)

// peer is one connection after its handshake. Outside this file and
// peerio.go nothing touches its queue, counters, connection or channels:
// it offers a few verbs (offer and awaitRoom for messages, sendControl and
// put for frames that never wait, hangUp and abort to end it, counters and
// snapshot to read it).
//
// Its reader goroutine owns its lifetime: when reading ends it waits for
// the writer, closes the connection, unregisters the peer and reports it
// down. The writer drains the send queue through a buffered writer.
type peer struct {
	n       *Node
	conn    net.Conn
	info    Peer
	since   time.Time
	dec     *wire.Reader
	q       *sendQueue
	c       peerCounters
	maxLine int // the longest line it accepts (from its HELLO; else ours)

	// Scratch space of the reader goroutine, which alone uses it: a
	// message's key and signature, decoded.
	keyBuf  [identity.PublicKeySize + 2]byte
	sigBuf  [identity.SignatureSize + 2]byte
	cond    conduct      // its behaviour (conduct.go)
	catchup catchupState // catch-up (catchup.go)

	// The channels goroutines wait on; each is closed once, by update or
	// by the goroutine named.
	ending     chan struct{} // closed when the peer stops running: the writer flushes or stops
	writerDone chan struct{} // closed by the writer when it has ended
	announced  chan struct{} // closed by the reader once its up event is in the events channel
	ended      chan struct{} // closed by the reader when the peer is unregistered and reported down

	// mu guards life, which only update changes.
	mu   sync.Mutex
	life lifecycle
}

// signed reports whether the link carries signed messages (protocol 2).
func (p *peer) signed() bool { return p.info.Protocol >= 2 }

// lifecycle is where a peer is on its way down. A peer runs until
// something ends it: a user or the node hangs up (flush, BYE, wait for the
// other side to close), the reader stops (flush, no BYE), or it is aborted
// (a write failed, the peer is slow, or it is being closed: drop what is
// queued, close the connection). The first reason given is the one
// reported.
type lifecycle struct {
	phase  phase
	reason string    // why it went down ("" while running and unexplained)
	bye    string    // reason to send in a BYE frame ("" for none)
	linger time.Time // read deadline set by hangUp (zero for none): reads never extend past it
}

type phase uint8

const (
	running  phase = iota
	flushing       // no more frames are queued; the writer flushes, says BYE if bye is set, and ends
	aborted        // the writer stops at once; the connection is closed
)

// update changes the peer's lifecycle under mu and then does what the
// change calls for, in one place: leaving running closes the queue (so
// nothing more is queued, and whoever waits for room stops waiting), then
// wakes the writer; a new linger deadline is set on the connection (under
// mu, so the reader never sets a later one over it); reaching aborted
// closes the connection. Phases only move forward.
func (p *peer) update(change func(l *lifecycle)) {
	p.mu.Lock()
	before := p.life
	change(&p.life)
	p.life.phase = max(p.life.phase, before.phase)
	after := p.life
	if after.reason == "" || before.reason != "" {
		p.life.reason, p.life.bye = before.reason, before.bye // the first reason wins
	}
	if !after.linger.Equal(before.linger) {
		p.conn.SetReadDeadline(after.linger)
	}
	if before.phase == running && after.phase != running {
		// The queue first: once the writer wakes, nothing more is queued
		// behind its last take.
		p.q.close()
		close(p.ending)
	}
	p.mu.Unlock()
	if before.phase != aborted && after.phase == aborted {
		p.conn.Close()
	}
}

func (p *peer) lifeNow() lifecycle {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.life
}

// explain records why the peer is going down without changing its phase
// (a BYE received: the reader goes on until the other side closes).
func (p *peer) explain(reason string) {
	p.update(func(l *lifecycle) { l.reason = reason })
}

// hangUp ends the connection gracefully: no more frames are queued, the
// writer flushes what is queued, sends BYE and half-closes; the reader then
// waits up to CloseTimeout for the other side to close. A peer that is
// ending already is left to it.
func (p *peer) hangUp(reason string) {
	p.update(func(l *lifecycle) {
		if l.phase == running { // else it is ending already, for its own reason
			l.phase, l.reason, l.bye = flushing, reason, reason
			l.linger = time.Now().Add(p.n.cfg.CloseTimeout)
		}
	})
}

// abort ends the connection at once, dropping what is queued.
func (p *peer) abort(reason string) {
	p.update(func(l *lifecycle) { l.phase, l.reason = aborted, reason })
}

// slow disconnects a peer whose queue is past its bound and whose writer
// has moved nothing for SlowPeerTimeout. Several waiters may find it
// stalled at once: it is counted once.
func (p *peer) slow() {
	var counted bool
	p.update(func(l *lifecycle) {
		if l.phase == running {
			counted = true
			l.phase, l.reason = aborted, "slow peer: it took nothing from its full send queue for "+p.n.cfg.SlowPeerTimeout.String()
		}
	})
	if counted {
		p.n.slowPeers.Add(1)
	}
}

// stopTaking closes the queue to new frames without ending the peer yet:
// for a peer being replaced, in the same step as the switch of peer lists,
// so that every frame goes to one of the two connections. hangUp follows,
// outside the lock.
func (p *peer) stopTaking() { p.q.close() }

// waitUp waits until the peer's up event is in the events channel, or it
// is down already, or the node is closing.
func (p *peer) waitUp() {
	select {
	case <-p.announced:
	case <-p.ended:
	case <-p.n.closing:
	}
}

// waitDown waits until the peer is unregistered and its down event is in
// the events channel.
func (p *peer) waitDown() { <-p.ended }

// offerResult says what offer did with a line.
type offerResult uint8

const (
	offerSkipped offerResult = iota // not queued: longer than the peer accepts, or the peer is going
	offerQueued                     // queued
	offerFull                       // queued, past the bound: the caller waits with awaitRoom after its lock
	offerStalled                    // not queued: the peer is slow; the caller calls slow after its lock
)

// offer queues a MSG line for this peer without waiting (the fan-out
// holds a lock): from is the peer the message came from (nil for our own
// message), whose relayed counter it also counts. Counters are updated
// before the frame is queued, so they are right by the time the copy can
// arrive anywhere, and undone if it was not.
func (p *peer) offer(line string, from *peer) (ticket, offerResult) {
	if len(line)-1 > p.maxLine {
		// It would have to refuse it and hang up: skip it, and count.
		p.c.tooLong.Add(1)
		return ticket{}, offerSkipped
	}
	p.c.msgsOut.Add(1)
	if from != nil {
		from.c.relayed.Add(1)
	}
	t, full, err := p.q.add(line, factorFor(from))
	if err != nil {
		p.c.msgsOut.Add(^uint64(0))
		if from != nil {
			from.c.relayed.Add(^uint64(0))
		}
		if err == errQueueStalled {
			return t, offerStalled
		}
		return t, offerSkipped
	}
	if full {
		return t, offerFull
	}
	return t, offerQueued
}

// factorFor is the bound a sender waits at: our own message at the bound,
// a relay only past relaySlack times it, so the origin is throttled first.
func factorFor(from *peer) int {
	if from == nil {
		return 1
	}
	return relaySlack
}

// awaitRoom waits, after the fan-out, until the frame with ticket t is
// within the bound, with no patience for our own message and a relay's
// patience otherwise (see sendQueue), and disconnects the peer if its
// queue stalled.
func (p *peer) awaitRoom(t ticket, relay bool) {
	factor, patience := 1, time.Duration(0)
	if relay {
		factor, patience = relaySlack, p.n.cfg.SlowPeerTimeout/5
	}
	if p.q.waitRoom(t, factor, patience, p.ending) {
		p.slow()
	}
}

// sendControl queues a control frame (ERR, PEERS, GETPEERS, PING) only if
// the queue is within its bound; it never waits. It reports whether the
// frame was queued.
func (p *peer) sendControl(line string) bool { return p.q.tryAdd(line) }

// sendTree queues a tree frame (IHAVE, GRAFT, PRUNE, or a message a GRAFT
// asked for) without waiting: they are small or bounded by the GRAFT
// budget, and the sender is a reader or a timer that must not stall. Past
// the queue's hard limit, or to a slow peer, the frame is dropped (the
// peer is on its way out).
func (p *peer) sendTree(line string, payload bool) {
	if len(line)-1 > p.maxLine {
		p.c.tooLong.Add(1)
		return
	}
	if _, _, err := p.q.add(line, 1); err == nil && payload {
		p.c.msgsOut.Add(1)
	}
}

// put queues a frame for a peer that is not running yet: our HELLO answer
// and the replayed recent lines, in a new queue, before the writer starts.
// A line longer than the peer accepts is skipped.
func (p *peer) put(line string) {
	if len(line)-1 <= p.maxLine {
		p.q.add(line, 1)
	}
}

// countHandshake counts the HELLO frames exchanged before the peer existed.
func (p *peer) countHandshake(out, in int) {
	if out > 0 {
		p.c.countOut(out)
	}
	if in > 0 {
		p.c.countIn(in)
	}
}

// countDelivered and countDuplicate count a MSG received from this peer.
func (p *peer) countDelivered() { p.c.delivered.Add(1) }
func (p *peer) countDuplicate() { p.c.duplicates.Add(1) }

// peerCounters are updated by the peer's goroutines and the flood path.
type peerCounters struct {
	framesIn, framesOut, bytesIn, bytesOut atomic.Uint64
	payloadIn, payloadOut                  atomic.Uint64 // MSG and SMSG frames
	payloadBytesIn, payloadBytesOut        atomic.Uint64
	delivered, duplicates                  atomic.Uint64
	msgsOut                                atomic.Uint64 // MSG copies queued to this peer
	tooLong                                atomic.Uint64 // MSG copies not sent: longer than its line limit
	relayed                                atomic.Uint64 // copies of messages first received from this peer, queued to others
}

func (c *peerCounters) countIn(bytes int) {
	c.framesIn.Add(1)
	c.bytesIn.Add(uint64(bytes))
}

func (c *peerCounters) countOut(bytes int) {
	c.framesOut.Add(1)
	c.bytesOut.Add(uint64(bytes))
}

// addCounters adds the peer's counters to s.
func (p *peer) addCounters(s *Stats) {
	c := &p.c
	s.FramesIn += c.framesIn.Load()
	s.FramesOut += c.framesOut.Load()
	s.BytesIn += c.bytesIn.Load()
	s.BytesOut += c.bytesOut.Load()
	s.PayloadFramesIn += c.payloadIn.Load()
	s.PayloadFramesOut += c.payloadOut.Load()
	s.PayloadBytesIn += c.payloadBytesIn.Load()
	s.PayloadBytesOut += c.payloadBytesOut.Load()
	s.Delivered += c.delivered.Load()
	s.Duplicates += c.duplicates.Load()
	s.Forwarded += c.relayed.Load()
	s.MsgsOut += c.msgsOut.Load()
	s.TooLongForPeer += c.tooLong.Load()
}

func newPeer(n *Node, conn net.Conn, dec *wire.Reader, info Peer, maxLine int) *peer {
	if maxLine <= 0 {
		maxLine = n.cfg.MaxLineBytes
	}
	return &peer{
		n:          n,
		conn:       conn,
		info:       info,
		since:      time.Now(),
		dec:        dec,
		maxLine:    maxLine,
		cond:       newConduct(n.cfg, time.Now()),
		q:          newSendQueue(n.cfg.QueueFrames, n.cfg.QueueBytes, n.cfg.SlowPeerTimeout),
		ending:     make(chan struct{}),
		writerDone: make(chan struct{}),
		announced:  make(chan struct{}),
		ended:      make(chan struct{}),
	}
}

func (p *peer) snapshot() PeerInfo {
	return PeerInfo{
		Peer:       p.info,
		Since:      p.since,
		FramesIn:   p.c.framesIn.Load(),
		FramesOut:  p.c.framesOut.Load(),
		BytesIn:    p.c.bytesIn.Load(),
		BytesOut:   p.c.bytesOut.Load(),
		Delivered:  p.c.delivered.Load(),
		Duplicates: p.c.duplicates.Load(),
		MsgsOut:    p.c.msgsOut.Load(),
		Relayed:    p.c.relayed.Load(),
		Queued:     p.q.len(),
		Synced:     p.catchup.rounds.Load() > 0,
	}
}
