package node

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/p2p-chat/p2p/node/wire"
)

// readLoop reads frames until the connection ends, then cleans up.
func (p *peer) readLoop() {
	defer p.n.peers.wg.Done()
	p.n.emit(Event{Kind: EventPeerUp, Peer: p.info})
	close(p.announced)
	err := p.readFrames()
	p.explain(p.readEndReason(err))
	if held := p.cond.heldBack(); held > 0 {
		p.n.emitAbout(p, heldError(p.info.Name, held))
	}

	// Let the writer flush (an ERR frame, or what was queued before the
	// other side closed), bounded by its write deadline, then close.
	p.update(func(l *lifecycle) { l.phase = flushing })
	<-p.writerDone
	p.update(func(l *lifecycle) { l.phase = aborted })
	p.n.unregister(p)
	p.n.emit(Event{Kind: EventPeerDown, Peer: p.info, Reason: p.lifeNow().reason})
	close(p.ended)
}

// extendReadDeadline allows IdleTimeout for the next read from the socket,
// but never past the hang-up deadline. It holds mu, as hangUp does when it
// sets that deadline, so one never overwrites the other.
func (p *peer) extendReadDeadline(now time.Time) {
	d := now.Add(p.n.cfg.IdleTimeout)
	p.mu.Lock()
	if l := p.life.linger; !l.IsZero() && l.Before(d) {
		d = l
	}
	p.conn.SetReadDeadline(d)
	p.mu.Unlock()
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
	case errors.As(err, &ne) && ne.Timeout() && !p.lifeNow().linger.IsZero():
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
		case wire.KindSummary, wire.KindSummaryEnd, wire.KindSynced:
			p.catchupFrame(f)
		case wire.KindMsg, wire.KindSignedMsg, wire.KindCatchup:
			if f.Kind == wire.KindCatchup {
				p.n.catchup.in.Add(1)
				p.n.catchup.bytesIn.Add(uint64(size))
			}
			p.c.payloadIn.Add(1)
			p.c.payloadBytesIn.Add(uint64(size))
			if err := p.n.rule.received(p, f); err != nil {
				p.misbehaved(err)
				return err
			}
		case wire.KindIHave, wire.KindGraft, wire.KindPrune:
			if tr, ok := p.n.rule.(*treeRule); ok && p.info.Tree {
				tr.control(p, f)
			} else if err := p.controlFrame(f); err != nil {
				p.misbehaved(err)
				return err
			}
		case wire.KindBye:
			p.explain("peer left: " + string(f.Reason))
		case wire.KindHello, wire.KindAuth:
			err := wire.Errorf("second %s after the handshake", f.Word)
			p.protocolError(err)
			return err
		default:
			if err := p.controlFrame(f); err != nil {
				p.misbehaved(err)
				return err
			}
		}
	}
}

// controlFrame acts on a control frame (PING, GETPEERS, PEERS, ERR, an
// unknown type) within the peer's budget, drops it past the budget, and
// returns a *MisbehavingError when the peer is out of patience.
func (p *peer) controlFrame(f *wire.Frame) error {
	now := time.Now()
	switch p.cond.allowControl(now) {
	case controlCut:
		return &MisbehavingError{Peer: p.info.Name, Reason: fmt.Sprintf(
			"control frames (PING, GETPEERS, PEERS, ERR, unknown) past the limit of %d a second (burst %d), %d times",
			p.n.cfg.ControlRate, p.n.cfg.ControlBurst, p.n.cfg.Patience)}
	case controlDropped:
		p.n.ctlDropped.Add(1)
		return nil
	}
	switch f.Kind {
	case wire.KindPing:
		// Traffic is all a keepalive needs to be.
	case wire.KindGetPeers:
		if p.cond.answerPeers(now) {
			p.n.answerPeers(p)
		} else {
			p.n.ctlDropped.Add(1) // answered at most once per peersEvery
		}
	case wire.KindPeers:
		p.n.heardPeers(p, f.Addrs)
	case wire.KindErr:
		p.report(now, fmt.Errorf("%s says: %s", p.info.Name, f.Reason))
	case wire.KindIHave, wire.KindGraft, wire.KindPrune:
		// A tree frame from a peer that did not say mode=tree, or to a
		// flood node: ignored, said once per type.
		if p.cond.firstUnknown(f.Word) {
			p.sendControl(wire.EncodeErr(fmt.Sprintf("%s ignored: this link is in flood mode", f.Word)))
		}
	case wire.KindUnknown:
		// Ignore it, so newer versions can add frames; say so once per type.
		if p.cond.firstUnknown(f.Word) {
			p.sendControl(wire.EncodeErr(fmt.Sprintf("unknown frame type %s, ignored", f.Word)))
			p.report(now, fmt.Errorf("%s sent an unknown frame type %s", p.info.Name, f.Word))
		}
	}
	return nil
}

// report emits an error about the peer, at most one a second: the others
// are counted and said with the next report, or when the peer goes.
func (p *peer) report(now time.Time, err error) {
	ok, held := p.cond.report(now)
	if held > 0 {
		p.n.emitAbout(p, heldError(p.info.Name, held))
	}
	if ok {
		p.n.emitAbout(p, err)
	}
}

// MisbehavingError is the reason a peer is cut for its conduct.
type MisbehavingError struct {
	Peer, Reason string
}

func (e *MisbehavingError) Error() string { return "misbehaving: " + e.Reason }

// misbehaved answers a frame that ends the connection (a protocol error,
// a bad signature, a peer out of patience) with ERR and reports it. A bad
// signature or a peer out of patience also puts its addresses in the
// penalty box.
func (p *peer) misbehaved(err error) {
	var pe *ProtocolError
	if errors.As(err, &pe) {
		p.protocolError(pe)
		return
	}
	var bs *BadSignatureError
	var me *MisbehavingError
	if errors.As(err, &bs) || errors.As(err, &me) {
		p.n.misbehaved.Add(1)
		now := time.Now()
		p.n.penalty.add(now, p.info.Addr)
		p.n.penalty.boxHost(now, p.info.Remote)
		err = fmt.Errorf("%w; its address is not dialled or let in for %v", err, p.n.cfg.PenaltyTime)
	}
	p.sendControl(wire.EncodeErr(err.Error()))
	p.n.emit(Event{Kind: EventError, Peer: p.info, Err: fmt.Errorf("%s: %w", p.info.Name, err)})
}

// protocolError answers a bad frame with ERR (the reader then ends the
// connection) and reports it.
func (p *peer) protocolError(pe *ProtocolError) {
	p.n.protoErrs.Add(1)
	p.sendControl(wire.EncodeErr(pe.Error()))
	p.n.emit(Event{Kind: EventError, Peer: p.info, Err: fmt.Errorf("%s: %w", p.info.Name, pe)})
}

// writeLoop drains the send queue into a buffered writer, flushing when the
// queue is empty, so a burst becomes few system calls. When the peer stops
// running it flushes and says BYE (flushing) or stops at once (aborted).
func (p *peer) writeLoop() {
	defer p.n.peers.wg.Done()
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
			p.sendControl(wire.PingLine)
			if err := p.writeQueued(bw, &batch); err != nil {
				p.abort("write failed: " + err.Error())
				return
			}
		case <-p.ending:
			l := p.lifeNow()
			if l.phase == aborted {
				return
			}
			err := p.writeQueued(bw, &batch)
			if err == nil && l.bye != "" {
				bw.WriteString(wire.EncodeBye(l.bye))
				err = bw.Flush()
			}
			if cw, ok := p.conn.(interface{ CloseWrite() error }); ok && err == nil {
				cw.CloseWrite()
			}
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
		var bytes, payload, payloadBytes int
		for _, f := range *batch {
			if _, err := bw.WriteString(f); err != nil {
				return err
			}
			bytes += len(f)
			if isPayload(f) {
				payload++
				payloadBytes += len(f)
			}
		}
		p.c.framesOut.Add(uint64(len(*batch)))
		p.c.bytesOut.Add(uint64(bytes))
		p.c.payloadOut.Add(uint64(payload))
		p.c.payloadBytesOut.Add(uint64(payloadBytes))
	}
}

// isPayload reports whether a queued line is a message (MSG or SMSG).
func isPayload(line string) bool {
	return len(line) > 4 && (line[:4] == "MSG " || line[:5] == "SMSG ")
}

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
