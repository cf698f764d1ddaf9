package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/p2p-chat/p2p/node/transport"
	"github.com/p2p-chat/p2p/node/transport/memnet"
)

func TestConnectToSelfIsRefused(t *testing.T) {
	c := newCluster(t, transport.TCP{}, 1, nil)
	nd := c.nodes[0]
	if _, err := nd.Connect(context.Background(), nd.Addr()); !errors.Is(err, ErrSelf) {
		t.Fatalf("Connect(own address) = %v, want ErrSelf", err)
	}
	// Another spelling of the same address gets through the dial and is
	// caught by the node id in the handshake.
	_, port, _ := net.SplitHostPort(nd.Addr())
	_, err := nd.Connect(context.Background(), "localhost:"+port)
	var re *RefusedError
	if !errors.Is(err, ErrSelf) || !errors.As(err, &re) {
		t.Fatalf("Connect(localhost:%s) = %v, want the other side's refusal wrapping ErrSelf", port, err)
	}
	if n := len(nd.Peers()); n != 0 {
		t.Fatalf("node has %d peers after refusing itself", n)
	}
}

func TestSecondConnectionIsRefused(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			c := newCluster(t, tr.make(), 2, nil)
			c.link([][2]int{{0, 1}})
			_, err := c.nodes[0].Connect(context.Background(), c.nodes[1].Addr())
			if !errors.Is(err, ErrAlreadyConnected) {
				t.Fatalf("second Connect = %v, want ErrAlreadyConnected", err)
			}
			// The other direction is the same pair of nodes: refused by id.
			_, err = c.nodes[1].Connect(context.Background(), c.nodes[0].Addr())
			if !errors.Is(err, ErrAlreadyConnected) {
				t.Fatalf("reverse Connect = %v, want ErrAlreadyConnected", err)
			}
			for i, nd := range c.nodes {
				if n := len(nd.Peers()); n != 1 {
					t.Errorf("n%d has %d peers, want 1", i, n)
				}
			}
		})
	}
}

// A bad first line gets an ERR frame naming the fault and a hang-up, over
// TCP. The silent client is TestHandshakeTimeout.
func TestHandshakeRejects(t *testing.T) {
	tests := []struct {
		name  string
		first string // first line the raw client sends
		want  string // part of the ERR line
	}{
		{"message before hello", "MSG 00000000000000aa-1 1 x hi", "expected HELLO, got MSG"},
		{"garbage", "\x00\x01\x02", "not an upper-case word"},
		{"old version", "HELLO 0 00000000000000ff x -", "protocol version 0 is not supported"},
		{"bad name", "HELLO 1 00000000000000ff x/y -", "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := transport.TCP{}
			c := newCluster(t, tr, 1, nil)
			raw := dialRaw(t, tr, c.nodes[0].Addr())
			raw.send(tt.first)
			checkRefused(t, c, raw, tt.want)
		})
	}
}

// checkRefused reads the ERR frame that refuses raw and checks the node
// hung up, reported an error and has no peer.
func checkRefused(t *testing.T, c *cluster, raw *rawPeer, want string) {
	t.Helper()
	line := raw.expect("ERR ")
	if !strings.Contains(line, want) {
		t.Fatalf("got %q, want it to mention %q", line, want)
	}
	if _, err := raw.readLine(); err == nil {
		t.Fatal("connection still open after the refusal")
	}
	c.recs[0].waitFor(t, "an error event", func() bool { return len(c.recs[0].errs) > 0 })
	if n := len(c.nodes[0].Peers()); n != 0 {
		t.Fatalf("%d peers after a failed handshake", n)
	}
}

// A client that says nothing is refused after HandshakeTimeout. On the
// fake clock, with the default timeout.
func TestHandshakeTimeout(t *testing.T) {
	onFakeClock(t, func(t *testing.T) {
		tr := memnet.New(0)
		c := newCluster(t, tr, 1, nil)
		raw := dialRaw(t, tr, c.nodes[0].Addr())
		start := time.Now()
		raw.expect("ERR ")
		if took, want := time.Since(start), c.nodes[0].Config().HandshakeTimeout; took != want {
			t.Errorf("silent client refused after %v, want HandshakeTimeout %v", took, want)
		}
		c.recs[0].waitFor(t, "an error event", func() bool { return len(c.recs[0].errs) > 0 })
		if err := c.recs[0].errs[0].Err; !strings.Contains(err.Error(), "handshake timed out") {
			t.Errorf("error event %q, want handshake timed out", err)
		}
	})
}

// A newer peer is spoken to in the version both know.
func TestHandshakeNewerVersionAccepted(t *testing.T) {
	tr := memnet.New(0)
	c := newCluster(t, tr, 1, unsignedNodes)
	raw := dialRaw(t, tr, c.nodes[0].Addr())
	raw.send("HELLO 7 00000000000000ff future 127.0.0.1:1 some-new-field")
	raw.expect("HELLO 1 " + c.nodes[0].ID() + " n0 ")
	raw.send("MSG 00000000000000ff-1 1 future from the future")
	c.recs[0].waitMessages(t, 1)
}

func TestSecondHelloIsAProtocolError(t *testing.T) {
	tr := memnet.New(0)
	c := newCluster(t, tr, 1, unsignedNodes)
	raw := dialRaw(t, tr, c.nodes[0].Addr())
	raw.handshake("00000000000000ff", "twice")
	raw.send("HELLO 1 00000000000000ff twice -")
	raw.expect("ERR protocol error: second HELLO")
	down := c.recs[0].waitDown(t, "second HELLO")
	if down.Peer.Name != "twice" {
		t.Fatalf("down event names %q, want twice", down.Peer.Name)
	}
}

func TestUnknownFrameIsIgnored(t *testing.T) {
	tr := memnet.New(0)
	c := newCluster(t, tr, 1, unsignedNodes)
	raw := dialRaw(t, tr, c.nodes[0].Addr())
	raw.handshake("00000000000000ff", "newer")
	raw.send("STATUS 1")
	raw.expect("ERR unknown frame type STATUS")
	raw.send("MSG 00000000000000ff-1 1 newer hi")
	c.recs[0].waitMessages(t, 1)
}

func TestMaxPeers(t *testing.T) {
	c := newCluster(t, memnet.New(0), 3, func(cfg *Config) { cfg.MaxPeers = 1 })
	c.link([][2]int{{0, 1}})
	_, err := c.nodes[2].Connect(context.Background(), c.nodes[1].Addr())
	if !errors.Is(err, ErrTooManyPeers) {
		t.Fatalf("Connect to a full node = %v, want ErrTooManyPeers", err)
	}
}

func TestListenDefaultPortFallsBack(t *testing.T) {
	tr := memnet.New(0)
	first, err := New(Config{Name: "a", Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	second, err := New(Config{Name: "b", Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if first.Addr() != ":55555" || second.Addr() != ":55556" {
		t.Fatalf("addresses %q and %q, want :55555 and :55556", first.Addr(), second.Addr())
	}
	if ev := <-second.Events(); ev.Kind != EventListening || ev.Addr != ":55556" {
		t.Fatalf("first event %+v, want listening on :55556", ev)
	}
}

func TestListenExplicitAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = New(Config{ListenAddr: ln.Addr().String()})
	if err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("New on a taken address = %v, want already in use", err)
	}
}

func TestConnectRefusedAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // now nothing listens there
	c := newCluster(t, transport.TCP{}, 1, nil)
	if _, err := c.nodes[0].Connect(context.Background(), addr); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("Connect to a closed port = %v, want connection refused", err)
	}
}

// silentListener accepts connections and says nothing; accepted gets one
// value per connection accepted. It stops when ln is closed.
func silentListener(t *testing.T, ln net.Listener) (accepted <-chan struct{}) {
	ch := make(chan struct{}, 16)
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				for _, c := range conns {
					c.Close()
				}
				return
			}
			conns = append(conns, c)
			ch <- struct{}{}
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ch
}

// A listener that accepts but never says HELLO (not a p2p node) makes
// Connect fail with a message that says so, whether the handshake timeout
// or the dial timeout ends the wait first. On the fake clock with the
// default timeouts, and once over TCP with short ones.
func TestConnectToSilentListenerSaysNoHello(t *testing.T) {
	def := DefaultConfig()
	for _, tc := range []struct{ handshake, dial time.Duration }{
		{def.HandshakeTimeout, time.Hour}, {time.Hour, def.DialTimeout}, {def.HandshakeTimeout, def.DialTimeout},
	} {
		t.Run(fmt.Sprintf("mem/handshake=%v,dial=%v", tc.handshake, tc.dial), func(t *testing.T) {
			onFakeClock(t, func(t *testing.T) {
				tr := memnet.New(0)
				ln, err := tr.Listen("")
				if err != nil {
					t.Fatal(err)
				}
				silentListener(t, ln)
				checkNoHello(t, tr, ln.Addr().String(), tc.handshake, tc.dial, "5s")
			})
		})
	}
	t.Run("tcp", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		silentListener(t, ln)
		checkNoHello(t, transport.TCP{}, ln.Addr().String(), 100*time.Millisecond, time.Hour, "100ms")
	})
}

func checkNoHello(t *testing.T, tr transport.Transport, addr string, handshake, dial time.Duration, within string) {
	t.Helper()
	c := newCluster(t, tr, 1, func(cfg *Config) { cfg.HandshakeTimeout, cfg.DialTimeout = handshake, dial })
	start := time.Now()
	_, err := c.nodes[0].Connect(context.Background(), addr)
	took := time.Since(start)
	want := "no HELLO from " + addr + " within " + within + ": is it a p2p node?"
	if !errors.Is(err, ErrNoHello) || !strings.Contains(err.Error(), want) {
		t.Errorf("Connect = %v, want ErrNoHello saying %q", err, want)
	}
	if limit := min(handshake, dial); took < limit {
		t.Errorf("Connect gave up after %v, before the timeout %v", took, limit)
	}
}

// A canceled context ends a connect that is waiting for HELLO, and Close
// ends the node's own dials: neither waits for the handshake timeout. Both
// act only once the silent listener has accepted, so it is the handshake
// that must give up. On the fake clock: no time passes at all.
func TestCanceledConnectAndCloseDoNotWait(t *testing.T) {
	onFakeClock(t, func(t *testing.T) {
		tr := memnet.New(0)
		ln, err := tr.Listen("")
		if err != nil {
			t.Fatal(err)
		}
		accepted := silentListener(t, ln)
		silent := ln.Addr().String()
		c := newCluster(t, tr, 1, func(cfg *Config) {
			cfg.HandshakeTimeout = time.Hour // only cancellation can end the wait
			cfg.DialTimeout = time.Hour
		})
		nd := c.nodes[0]
		start := time.Now()
		ctx, cancel := context.WithCancel(context.Background())
		result := make(chan error, 1)
		go func() {
			_, err := nd.Connect(ctx, silent)
			result <- err
		}()
		<-accepted
		cancel()
		// The error is context.Canceled, or the timeout of the deadline
		// the cancellation set if it cut the HELLO being written.
		if err := <-result; err == nil || errors.Is(err, ErrNoHello) {
			t.Errorf("canceled Connect = %v, want it canceled", err)
		}
		if took := time.Since(start); took != 0 {
			t.Errorf("canceled Connect returned after %v, want at once", took)
		}

		// Auto-join dialing the silent address; Close must not wait on it.
		joined := make(chan error, 1)
		go func() { joined <- nd.Join(context.Background(), silent) }()
		<-accepted
		start = time.Now()
		nd.Close()
		if took := time.Since(start); took != 0 {
			t.Errorf("Close returned after %v, want at once: it waited for a dial in its handshake", took)
		}
		if err := <-joined; err == nil {
			t.Error("Join of a silent address succeeded")
		}
	})
}
