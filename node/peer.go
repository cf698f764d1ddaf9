package node

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/p2p-chat/p2p/node/wire"
)

// peer is one connection after its handshake. Its reader goroutine owns the
// peer's lifetime: when reading ends it waits for the writer, closes the
// connection, unregisters the peer and reports it down. The writer drains
// the send queue through a buffered writer.
type peer struct {
	n       *Node
	conn    net.Conn
	info    Peer
	since   time.Time
	dec     *wire.Reader
	q       *sendQueue
	c       peerCounters
	maxLine int // the longest line it accepts (from its HELLO; else ours)

	stop       chan struct{} // closed to ask the writer to flush, say BYE and finish
	gone       chan struct{} // closed on abort: the writer stops at once, pushes give up
	writerDone chan struct{}
	announced  chan struct{} // closed once its up event is in the events channel
	ended      chan struct{} // closed when the peer is unregistered and reported down
	stopOnce   sync.Once
	goneOnce   sync.Once

	// lingerUntil is the read deadline set by hangUp (unix nanoseconds, 0
	// for none); the reader never extends its deadline past it.
	lingerUntil atomic.Int64

	// reasonMu guards reason and bye: the first reason given wins.
	reasonMu sync.Mutex
	reason   string
	bye      string // reason to send in a BYE frame ("" for none)
}

// peerCounters are updated by the peer's goroutines and the flood path.
type peerCounters struct {
	framesIn, framesOut, bytesIn, bytesOut atomic.Uint64
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

func (c *peerCounters) addTo(s *Stats) {
	s.FramesIn += c.framesIn.Load()
	s.FramesOut += c.framesOut.Load()
	s.BytesIn += c.bytesIn.Load()
	s.BytesOut += c.bytesOut.Load()
	s.Delivered += c.delivered.Load()
	s.Duplicates += c.duplicates.Load()
	s.Forwarded += c.relayed.Load()
	s.MsgsOut += c.msgsOut.Load()
	s.TooLongForPeer += c.tooLong.Load()
}

func newPeer(n *Node, conn net.Conn, dec *wire.Reader, info Peer) *peer {
	return &peer{
		n:          n,
		conn:       conn,
		info:       info,
		since:      time.Now(),
		dec:        dec,
		maxLine:    n.cfg.MaxLineBytes,
		q:          newSendQueue(n.cfg.QueueFrames, n.cfg.QueueBytes, n.cfg.SlowPeerTimeout),
		stop:       make(chan struct{}),
		gone:       make(chan struct{}),
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
	}
}

// setReason records why the peer goes down, unless a reason is already set.
func (p *peer) setReason(reason, bye string) {
	p.reasonMu.Lock()
	if p.reason == "" {
		p.reason, p.bye = reason, bye
	}
	p.reasonMu.Unlock()
}

func (p *peer) getReason() (reason, bye string) {
	p.reasonMu.Lock()
	defer p.reasonMu.Unlock()
	return p.reason, p.bye
}

// hangUp ends the connection gracefully: no more frames are queued, the
// writer flushes what is queued, sends BYE and half-closes; the reader then
// waits up to CloseTimeout for the other side to close.
func (p *peer) hangUp(reason string) {
	p.setReason(reason, reason)
	p.finish()
	until := time.Now().Add(p.n.cfg.CloseTimeout)
	p.lingerUntil.Store(until.UnixNano())
	p.conn.SetReadDeadline(until)
}

// finish asks the writer to flush and stop.
func (p *peer) finish() {
	p.q.close()
	p.stopOnce.Do(func() { close(p.stop) })
}

// abort ends the connection at once, dropping what is queued.
func (p *peer) abort(reason string) {
	p.setReason(reason, "")
	p.q.close()
	p.goneOnce.Do(func() { close(p.gone) })
	p.conn.Close()
}

// slow disconnects a peer whose queue is past its bound and whose writer
// has moved nothing for SlowPeerTimeout.
func (p *peer) slow() {
	if !p.q.close() {
		return // going already: several waiters may find it stalled at once
	}
	p.n.slowPeers.Add(1)
	p.abort(fmt.Sprintf("slow peer: it took nothing from its full send queue for %v", p.n.cfg.SlowPeerTimeout))
}

// patience is how long a full queue may hold up whoever queues to it.
func (p *peer) patience() time.Duration { return p.n.cfg.SlowPeerTimeout / 5 }

// progressWriter is what the writer's bufio.Writer writes to: it tells the
// queue whenever bytes move, and keeps the write deadline WriteTimeout
// ahead of the last progress, so the deadline bounds a stall, never a long
// run of writes under load. Only the writer goroutine uses it.
type progressWriter struct {
	p        *peer
	deadline time.Time // the write deadline last set
}

func (w *progressWriter) Write(b []byte) (int, error) {
	timeout := w.p.n.cfg.WriteTimeout
	if now := time.Now(); w.deadline.Sub(now) < timeout-timeout/8 {
		w.deadline = now.Add(timeout)
		w.p.conn.SetWriteDeadline(w.deadline)
	}
	n, err := w.p.conn.Write(b)
	if n > 0 {
		w.p.q.progressed()
	}
	return n, err
}

// readLoop reads frames until the connection ends, then cleans up.
func (p *peer) readLoop() {
	defer p.n.wg.Done()
	p.n.emit(Event{Kind: EventPeerUp, Peer: p.info})
	close(p.announced)
	err := p.readFrames()
	p.setReason(p.readEndReason(err), "")
	reason, _ := p.getReason()

	// Let the writer flush (an ERR frame, or what was queued before the
	// other side closed), bounded by its write deadline, then close.
	p.finish()
	<-p.writerDone
	p.conn.Close()
	p.goneOnce.Do(func() { close(p.gone) })
	p.n.unregister(p)
	p.n.emit(Event{Kind: EventPeerDown, Peer: p.info, Reason: reason})
	close(p.ended)
}

// extendReadDeadline allows IdleTimeout for the next read from the socket,
// but never past the hang-up deadline.
func (p *peer) extendReadDeadline(now time.Time) {
	d := now.Add(p.n.cfg.IdleTimeout)
	if l := p.lingerUntil.Load(); l != 0 {
		d = time.Unix(0, min(l, d.UnixNano()))
	}
	p.conn.SetReadDeadline(d)
	// hangUp may have set its deadline just before ours: set it again.
	if l := p.lingerUntil.Load(); l != 0 && l < d.UnixNano() {
		p.conn.SetReadDeadline(time.Unix(0, l))
	}
}

// readEndReason turns the error that ended reading into a reason.
func (p *peer) readEndReason(err error) string {
	var pe *ProtocolError
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF):
		return "closed by peer"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "closed by peer in the middle of a frame"
	case errors.As(err, &pe):
		return pe.Error()
	case errors.As(err, &ne) && ne.Timeout() && p.lingerUntil.Load() != 0:
		return "hung up; the peer did not close its side in time"
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("dead peer: nothing received for %v", p.n.cfg.IdleTimeout)
	case errors.Is(err, net.ErrClosed):
		return "connection closed"
	}
	return err.Error()
}

// readFrames is the reader's loop: decode, then act on each frame.
func (p *peer) readFrames() error {
	var deadlineSet time.Time
	for {
		// Extend the deadline before a read that will reach the socket, and
		// after a long pause in handing frames on (a slow consumer of events
		// is not a dead peer).
		if now := time.Now(); p.dec.Buffered() == 0 || now.Sub(deadlineSet) > p.n.cfg.IdleTimeout/2 {
			p.extendReadDeadline(now)
			deadlineSet = now
		}
		f, size, err := p.dec.Next()
		if size > 0 {
			p.c.countIn(size)
		}
		if err != nil {
			var pe *ProtocolError
			if errors.As(err, &pe) {
				p.protocolError(pe)
			}
			return err
		}
		switch f.Kind {
		case wire.KindMsg:
			p.n.flood(p, f)
		case wire.KindPing:
			// Traffic is all a keepalive needs to be.
		case wire.KindGetPeers:
			p.n.answerPeers(p)
		case wire.KindPeers:
			p.n.heardPeers(p, f.Addrs)
		case wire.KindBye:
			p.setReason("peer left: "+string(f.Reason), "")
		case wire.KindErr:
			p.n.emit(Event{Kind: EventError, Peer: p.info, Err: fmt.Errorf("%s says: %s", p.info.Name, f.Reason)})
		case wire.KindHello:
			err := wire.Errorf("second HELLO after the handshake")
			p.protocolError(err)
			return err
		case wire.KindUnknown:
			// Ignore it, so newer versions can add frames; say so once per frame.
			p.q.tryAdd(wire.EncodeErr(fmt.Sprintf("unknown frame type %s, ignored", f.Word)))
			p.n.emit(Event{Kind: EventError, Peer: p.info, Err: fmt.Errorf("%s sent an unknown frame type %s", p.info.Name, f.Word)})
		}
	}
}

// protocolError answers a bad frame with ERR (the reader then ends the
// connection) and reports it.
func (p *peer) protocolError(pe *ProtocolError) {
	p.n.protoErrs.Add(1)
	p.q.tryAdd(wire.EncodeErr(pe.Error()))
	p.n.emit(Event{Kind: EventError, Peer: p.info, Err: fmt.Errorf("%s: %w", p.info.Name, pe)})
}

// writeLoop drains the send queue into a buffered writer, flushing when the
// queue is empty, so a burst becomes few system calls.
func (p *peer) writeLoop() {
	defer p.n.wg.Done()
	defer close(p.writerDone)
	bw := bufio.NewWriterSize(&progressWriter{p: p}, p.n.cfg.BufferSize)
	var batch []string
	keepalive := time.NewTicker(p.n.cfg.KeepAlive / 2)
	defer keepalive.Stop()
	lastWrite := time.Now()
	for {
		select {
		case <-p.q.ready:
			lastWrite = time.Now()
			if err := p.writeQueued(bw, &batch); err != nil {
				p.abort("write failed: " + err.Error())
				return
			}
		case now := <-keepalive.C:
			if now.Sub(lastWrite) < p.n.cfg.KeepAlive {
				continue
			}
			lastWrite = now
			p.q.tryAdd(wire.PingLine)
			if err := p.writeQueued(bw, &batch); err != nil {
				p.abort("write failed: " + err.Error())
				return
			}
		case <-p.stop:
			err := p.writeQueued(bw, &batch)
			if _, bye := p.getReason(); err == nil && bye != "" {
				bw.WriteString(wire.EncodeBye(bye))
				err = bw.Flush()
			}
			if cw, ok := p.conn.(interface{ CloseWrite() error }); ok && err == nil {
				cw.CloseWrite()
			}
			return
		case <-p.gone:
			return
		}
	}
}

// writeQueued writes everything queued, then flushes.
func (p *peer) writeQueued(bw *bufio.Writer, batch *[]string) error {
	for {
		*batch = p.q.take(*batch)
		if len(*batch) == 0 {
			return bw.Flush()
		}
		var bytes int
		for _, f := range *batch {
			if _, err := bw.WriteString(f); err != nil {
				return err
			}
			bytes += len(f)
		}
		p.c.framesOut.Add(uint64(len(*batch)))
		p.c.bytesOut.Add(uint64(bytes))
	}
}
