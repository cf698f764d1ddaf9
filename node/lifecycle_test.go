package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"testing/synctest"
	"time"

	"github.com/p2p-chat/p2p/node/transport/memnet"
)

// lonePeer makes a peer over a memnet connection, with no goroutines
// running, and returns it with the other end of its connection.
func lonePeer(t *testing.T) (*peer, net.Conn) {
	t.Helper()
	cfg, err := Config{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	n := &Node{cfg: cfg, closing: make(chan struct{})}
	mn := memnet.New(0)
	ln, err := mn.Listen("")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	conn, err := mn.Dial(context.Background(), ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	other := <-accepted
	ln.Close()
	return newPeer(n, conn, nil, Peer{ID: "00000000000000aa", Name: "x"}, 0), other
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// hangUp: the queue refuses new frames, the writer is woken to flush and
// say BYE with the reason, and reads end CloseTimeout later.
func TestHangUpFlushesAndLingers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, _ := lonePeer(t)
		if _, r := p.offer("MSG 00000000000000bb-1 1 o t\n", nil); r != offerQueued {
			t.Fatalf("offer to a running peer = %v, want queued", r)
		}
		p.hangUp("bye now")
		l := p.lifeNow()
		if l.phase != flushing || l.reason != "bye now" || l.bye != "bye now" {
			t.Fatalf("after hangUp: %+v, want flushing with reason and BYE", l)
		}
		if !closed(p.ending) {
			t.Fatal("hangUp did not wake the writer")
		}
		if _, r := p.offer("MSG 00000000000000bb-2 1 o t\n", nil); r != offerSkipped {
			t.Fatalf("offer after hangUp = %v, want skipped", r)
		}
		if got := p.q.len(); got != 1 {
			t.Fatalf("queue holds %d frames after hangUp, want the 1 queued before (it is flushed)", got)
		}
		start := time.Now()
		_, err := p.conn.Read(make([]byte, 1))
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || time.Since(start) != p.n.cfg.CloseTimeout {
			t.Fatalf("read after hangUp ended with %v after %v, want a timeout after %v", err, time.Since(start), p.n.cfg.CloseTimeout)
		}
		// The reader extending its deadline cannot undo the linger.
		p.extendReadDeadline(time.Now())
		start = time.Now()
		if _, err := p.conn.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) || time.Since(start) != 0 {
			t.Fatalf("read after extendReadDeadline past the linger = %v after %v, want the deadline exceeded at once", err, time.Since(start))
		}
	})
}

// The first reason wins and phases only move forward: an abort after a
// hang-up closes the connection but keeps the hang-up's reason; a hang-up
// after an abort changes nothing.
func TestLifecycleFirstReasonWinsAndPhasesMoveForward(t *testing.T) {
	p, other := lonePeer(t)
	p.abort("write failed")
	p.hangUp("disconnected by user")
	if l := p.lifeNow(); l.phase != aborted || l.reason != "write failed" || l.bye != "" || !l.linger.IsZero() {
		t.Fatalf("hangUp after abort changed the state: %+v", l)
	}
	other.SetReadDeadline(time.Now().Add(time.Second)) // closed at once, or it fails
	if _, err := other.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatal("abort did not close the connection")
	}
	p.update(func(l *lifecycle) { l.phase = flushing }) // as the reader does when it ends
	if l := p.lifeNow(); l.phase != aborted {
		t.Fatalf("an aborted peer went back to %v", l.phase)
	}

	q, _ := lonePeer(t)
	q.hangUp("first")
	q.abort("second")
	if l := q.lifeNow(); l.phase != aborted || l.reason != "first" || l.bye != "first" {
		t.Fatalf("abort after hangUp: %+v, want aborted with the first reason", l)
	}
	q.explain("peer left")
	if l := q.lifeNow(); l.reason != "first" {
		t.Fatalf("explain replaced the first reason: %q", l.reason)
	}
}

// A peer found stalled by several waiters at once is counted slow once.
func TestSlowIsCountedOnce(t *testing.T) {
	p, _ := lonePeer(t)
	p.slow()
	p.slow()
	if got := p.n.slowPeers.Load(); got != 1 {
		t.Fatalf("slow twice counted %d slow peers, want 1", got)
	}
	if l := p.lifeNow(); l.phase != aborted {
		t.Fatalf("slow left the peer %v, want aborted", l.phase)
	}
}

// A relay waiting for room gives up after its patience (SlowPeerTimeout/5
// without a take) and leaves the peer up: relays wait on each other around
// cycles. Our own message waits until the queue is found stalled, and the
// peer is then disconnected as slow.
func TestAwaitRoomPatience(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, _ := lonePeer(t)
		from, _ := lonePeer(t)
		p.q = newSendQueue(2, 1<<20, p.n.cfg.SlowPeerTimeout)
		start := time.Now()
		var last ticket
		for i := range 2*relaySlack + 1 {
			last, _ = p.offer(fmt.Sprintf("MSG 00000000000000bb-%d 1 o t\n", i+1), from)
		}
		p.awaitRoom(last, true)
		if got, want := time.Since(start), p.n.cfg.SlowPeerTimeout/5; got != want {
			t.Fatalf("a relay waited %v for an idle writer, want its patience %v", got, want)
		}
		if l := p.lifeNow(); l.phase != running {
			t.Fatalf("a relay that ran out of patience ended the peer: %+v", l)
		}
		p.awaitRoom(last, false)
		if got := time.Since(start); got < p.n.cfg.SlowPeerTimeout {
			t.Fatalf("our own message gave up after %v, before the stall timeout %v", got, p.n.cfg.SlowPeerTimeout)
		}
		if l := p.lifeNow(); l.phase != aborted || p.n.slowPeers.Load() != 1 {
			t.Fatalf("after a stalled wait: %+v, %d slow peers; want aborted as slow", l, p.n.slowPeers.Load())
		}
	})
}
