package node

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/p2p-chat/p2p/node/transport"
	"github.com/p2p-chat/p2p/node/transport/memnet"
)

// A peer that never reads is disconnected as slow while the others still
// receive everything. Over memnet it runs on the fake clock with the
// default queues and SlowPeerTimeout; over TCP (a real socket buffer that
// fills) with small queues and a short timeout.
func TestSlowPeerIsDisconnected(t *testing.T) {
	t.Parallel()
	t.Run("mem", func(t *testing.T) {
		onFakeClock(t, func(t *testing.T) {
			// More than the default queue bound (4096 frames, 4 MB) and
			// memnet's buffer hold.
			testSlowPeerIsDisconnected(t, memnet.New(0), 6000, nil)
		})
	})
	t.Run("tcp", func(t *testing.T) {
		t.Parallel()
		// More than loopback TCP buffers for a peer that never reads (the
		// sender's buffer grows to 4 MB here; the reader's window stays
		// small) and the small queue hold.
		testSlowPeerIsDisconnected(t, transport.TCP{}, 10_000, func(cfg *Config) {
			cfg.QueueFrames = 256
			cfg.QueueBytes = 64 << 10
			// Long enough that the healthy peer, slow under -race, is
			// never taken for a stuck one (checked with -race -count=20
			// alongside the other tests).
			cfg.SlowPeerTimeout = time.Second
			cfg.CloseTimeout = 100 * time.Millisecond
		})
	})
}

func testSlowPeerIsDisconnected(t *testing.T, tr transport.Transport, count int, tune func(*Config)) {
	c := newCluster(t, tr, 2, func(cfg *Config) {
		cfg.Unsigned = true // the stuck peer is played by hand; this is about queues
		if tune != nil {
			tune(cfg)
		}
	})
	c.link([][2]int{{0, 1}})
	stuck := dialRaw(t, tr, c.nodes[0].Addr())
	stuck.handshake("00000000000000ff", "stuck")

	text := strings.Repeat("x", 1000)
	for i := 0; i < count; i++ {
		if _, err := c.nodes[0].Send(fmt.Sprintf("%d %s", i, text)); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	down := c.recs[0].waitDown(t, "slow peer")
	if down.Peer.Name != "stuck" {
		t.Fatalf("slow peer event names %q, want stuck", down.Peer.Name)
	}
	if want := "for " + c.nodes[0].Config().SlowPeerTimeout.String(); !strings.HasSuffix(down.Reason, want) {
		t.Fatalf("slow peer reason %q, want it to end %q", down.Reason, want)
	}
	c.recs[1].waitMessages(t, count)
	if n := len(c.nodes[0].Peers()); n != 1 {
		t.Fatalf("n0 has %d peers, want the healthy one", n)
	}
	if s := c.nodes[0].Stats(); s.SlowPeers != 1 {
		t.Fatalf("SlowPeers = %d, want 1", s.SlowPeers)
	}
}

// Messages sent just before Close reach the peer: Close flushes.
func TestCloseFlushes(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			c := newCluster(t, tr.make(), 2, nil)
			c.link([][2]int{{0, 1}})
			const count = 2000
			for i := 0; i < count; i++ {
				if _, err := c.nodes[0].Send(fmt.Sprintf("last words %d", i)); err != nil {
					t.Fatal(err)
				}
			}
			c.nodes[0].Close()
			c.recs[1].waitMessages(t, count)
			down := c.recs[1].waitDown(t, "")
			if !strings.Contains(down.Reason, "node shutting down") {
				t.Fatalf("peer down reason %q, want it to say the node is shutting down", down.Reason)
			}
		})
	}
}

// When the consumer of events is slower than the network, the node reads
// more slowly instead of dropping messages. Time is the subject (a stalled
// consumer for longer than the idle timeout), so this runs on the fake
// clock with the default timeouts.
func TestSlowConsumerGetsEverything(t *testing.T) {
	onFakeClock(t, func(t *testing.T) {
		tr := memnet.New(0)
		a, err := New(Config{Name: "a", ListenAddr: "127.0.0.1:0", Transport: tr})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		go func() {
			for range a.Events() {
			}
		}()
		b, err := New(Config{Name: "b", ListenAddr: "127.0.0.1:0", Transport: tr, EventBuffer: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if _, err := a.Connect(context.Background(), b.Addr()); err != nil {
			t.Fatal(err)
		}
		// b's events are not read while a sends: b's reader blocks on the
		// full channel, and the frames wait in the connection (signed ones
		// are about 180 bytes: they must fit in its 256 KiB, or a's writer
		// would time out, as it should) and a's queue.
		const count = 1200
		for i := 0; i < count; i++ {
			if _, err := a.Send(fmt.Sprintf("patience %d", i)); err != nil {
				t.Fatal(err)
			}
		}
		// The consumer takes the first message, so b's reader is under way
		// with frames in its buffer, then stays away for three idle
		// timeouts: a stalled consumer must not look like a dead peer.
		got := 0
		timeout := time.After(waitLimit(t))
		for got == 0 {
			select {
			case ev := <-b.Events():
				if ev.Kind == EventMessage {
					got++
				}
			case <-timeout:
				t.Fatal("no first message")
			}
		}
		time.Sleep(3 * b.Config().IdleTimeout)
		for got < count {
			select {
			case ev := <-b.Events():
				if ev.Kind == EventMessage {
					if want := fmt.Sprintf("patience %d", got); ev.Message.Text != want {
						t.Fatalf("message %d is %q, want %q", got, ev.Message.Text, want)
					}
					got++
				}
			case <-timeout:
				t.Fatalf("got %d of %d messages; a: %+v b: %+v", got, count, a.Stats(), b.Stats())
			}
		}
		if s := a.Stats(); s.SlowPeers != 0 {
			t.Fatalf("a disconnected %d slow peers, want 0", s.SlowPeers)
		}
		if n := len(b.Peers()); n != 1 {
			t.Fatalf("b has %d peers after its consumer came back, want 1", n)
		}
	})
}

func TestDisconnect(t *testing.T) {
	c := newCluster(t, memnet.New(0), 2, nil)
	c.link([][2]int{{0, 1}})
	if err := c.nodes[0].Disconnect("nobody"); !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("Disconnect(nobody) = %v, want ErrUnknownPeer", err)
	}
	if err := c.nodes[0].Disconnect("n1"); err != nil {
		t.Fatal(err)
	}
	if n := len(c.nodes[0].Peers()); n != 0 {
		t.Fatalf("%d peers after Disconnect returned", n)
	}
	c.recs[0].waitDown(t, "disconnected by user")
	c.recs[1].waitDown(t, "peer left: disconnected by user")
}

func TestCloseIsIdempotentAndEndsEverything(t *testing.T) {
	c := newCluster(t, memnet.New(0), 2, nil)
	c.link([][2]int{{0, 1}})
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); c.nodes[0].Close() }()
	}
	wg.Wait()
	c.recs[0].waitClosed(t) // Events is closed only after every goroutine ended
	if _, err := c.nodes[0].Send("too late"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after Close = %v, want ErrClosed", err)
	}
	if _, err := c.nodes[0].Connect(context.Background(), c.nodes[1].Addr()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Connect after Close = %v, want ErrClosed", err)
	}
	c.recs[1].waitDown(t, "node shutting down")
}

func TestSendRejectsBadText(t *testing.T) {
	c := newCluster(t, memnet.New(0), 1, func(cfg *Config) { cfg.MaxLineBytes = 1024 })
	for _, text := range []string{"", "two\nlines", "\x1b[2J", strings.Repeat("x", 1024)} {
		if _, err := c.nodes[0].Send(text); err == nil {
			t.Errorf("Send(%q) succeeded, want an error", text)
		}
	}
	if _, err := c.nodes[0].Send(strings.Repeat("x", c.nodes[0].Config().MaxTextBytes())); err != nil {
		t.Errorf("Send of the longest text: %v", err)
	}
}

func TestPeersAndStatsCount(t *testing.T) {
	c := newCluster(t, memnet.New(0), 3, nil)
	c.link(chain(3))
	for i := 0; i < 5; i++ {
		if _, err := c.nodes[0].Send("count me"); err != nil {
			t.Fatal(err)
		}
	}
	c.recs[2].waitMessages(t, 5)
	mid := c.nodes[1]
	ps := mid.Peers()
	if len(ps) != 2 || ps[0].Name != "n0" || ps[1].Name != "n2" {
		t.Fatalf("peers of n1 = %+v, want n0 and n2", ps)
	}
	if ps[0].Delivered != 5 || ps[0].Relayed != 5 {
		t.Errorf("n0 as seen by n1: delivered %d relayed %d, want 5 and 5", ps[0].Delivered, ps[0].Relayed)
	}
	if ps[1].MsgsOut != 5 {
		t.Errorf("n2 as seen by n1: %d messages queued, want 5", ps[1].MsgsOut)
	}
	s := mid.Stats()
	if s.Delivered != 5 || s.Forwarded != 5 || s.Duplicates != 0 || s.Seen != 5 || s.Peers != 2 {
		t.Errorf("n1 stats = %+v", s)
	}
	seen := mid.Seen()
	if len(seen) != 5 || seen[0].Origin != "n0" {
		t.Errorf("n1 seen = %+v", seen)
	}
	if s0 := c.nodes[0].Stats(); s0.Sent != 5 || s0.FramesOut < 6 {
		t.Errorf("n0 stats = %+v, want 5 sent and at least 6 frames out (HELLO and 5 MSG)", s0)
	}
}

// An idle connection is kept alive with PING frames, one after KeepAlive
// without sending; a peer that sends nothing at all is disconnected as
// dead after IdleTimeout. On the fake clock, with the defaults.
func TestKeepAliveAndDeadPeer(t *testing.T) {
	onFakeClock(t, func(t *testing.T) {
		tr := memnet.New(0)
		c := newCluster(t, tr, 1, unsignedNodes)
		cfg := c.nodes[0].Config()
		alive := dialRaw(t, tr, c.nodes[0].Addr())
		alive.handshake("00000000000000a1", "alive")
		dead := dialRaw(t, tr, c.nodes[0].Addr())
		dead.handshake("00000000000000d1", "dead")
		start := time.Now() // both handshakes ended now: no time has passed

		// The live peer answers every PING with one, and notes the time
		// since the frame before it.
		gaps := make(chan time.Duration, 1000)
		go func() {
			defer close(gaps)
			last := start
			for {
				line, err := alive.readLine()
				if err != nil {
					return // closed at the end of the test
				}
				if line != "PING" {
					t.Errorf("the node sent alive %q, want only PING", line)
					return
				}
				gaps <- time.Since(last)
				last = time.Now()
				if _, err := alive.conn.Write([]byte("PING\n")); err != nil {
					return
				}
			}
		}()

		down := c.recs[0].waitDown(t, "dead peer")
		if took := time.Since(start); took < cfg.IdleTimeout || took > cfg.IdleTimeout+time.Second {
			t.Errorf("the dead peer was cut after %v, want the idle timeout %v", took, cfg.IdleTimeout)
		}
		if down.Peer.Name != "dead" {
			t.Fatalf("dead peer event names %q, want dead", down.Peer.Name)
		}
		// The live one stays through several more idle timeouts.
		time.Sleep(3 * cfg.IdleTimeout)
		ps := c.nodes[0].Peers()
		if len(ps) != 1 || ps[0].Name != "alive" {
			t.Fatalf("peers = %+v, want only alive", ps)
		}
		alive.conn.Close()
		var n int
		for gap := range gaps {
			n++
			if gap < cfg.KeepAlive || gap >= 2*cfg.KeepAlive {
				t.Errorf("PING %d came %v after the frame before it, want from KeepAlive %v to twice that", n, gap, cfg.KeepAlive)
			}
		}
		if most := int((time.Since(start)) / cfg.KeepAlive); n < most-1 || n > most {
			t.Errorf("%d PINGs in %v, want about one per KeepAlive (%v)", n, time.Since(start), cfg.KeepAlive)
		}
	})
}

// Disconnect says BYE and waits up to CloseTimeout for the other side to
// close: at once for a peer that closes, CloseTimeout for one that does
// not. On the fake clock, with the defaults.
func TestHangUpWaitsCloseTimeout(t *testing.T) {
	onFakeClock(t, func(t *testing.T) {
		tr := memnet.New(0)
		c := newCluster(t, tr, 1, unsignedNodes)
		nd := c.nodes[0]
		polite := dialRaw(t, tr, nd.Addr())
		polite.handshake("00000000000000b1", "polite")
		mute := dialRaw(t, tr, nd.Addr())
		mute.handshake("00000000000000b2", "mute")
		go func() { // polite closes when it reads BYE
			for {
				line, err := polite.readLine()
				if err != nil || strings.HasPrefix(line, "BYE ") {
					polite.conn.Close()
					return
				}
			}
		}()

		start := time.Now()
		if err := nd.Disconnect("polite"); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took != 0 {
			t.Errorf("Disconnect of a peer that closes took %v, want no wait", took)
		}

		start = time.Now()
		if err := nd.Disconnect("mute"); err != nil {
			t.Fatal(err)
		}
		if took, want := time.Since(start), nd.Config().CloseTimeout; took != want {
			t.Errorf("Disconnect of a peer that does not close took %v, want CloseTimeout %v", took, want)
		}
		mute.expect("BYE disconnected by user")
		if line, err := mute.readLine(); err == nil {
			t.Errorf("after BYE the node sent %q, want the connection closed", line)
		}
		if n := len(nd.Peers()); n != 0 {
			t.Errorf("%d peers after both were disconnected", n)
		}
	})
}
