package node

import (
	"context"
	"errors"
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
	if err == nil || !strings.Contains(err.Error(), "connection to self") {
		t.Fatalf("Connect(localhost:%s) = %v, want a refusal naming the connection to self", port, err)
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
			if err == nil || !strings.Contains(err.Error(), "already connected") {
				t.Fatalf("reverse Connect = %v, want already connected", err)
			}
			for i, nd := range c.nodes {
				if n := len(nd.Peers()); n != 1 {
					t.Errorf("n%d has %d peers, want 1", i, n)
				}
			}
		})
	}
}

func TestHandshakeRejects(t *testing.T) {
	tests := []struct {
		name  string
		first string // first line the raw client sends ("" sends nothing)
		want  string // part of the ERR line
	}{
		{"message before hello", "MSG 00000000000000aa-1 1 x hi", "expected HELLO, got MSG"},
		{"garbage", "\x00\x01\x02", "not an upper-case word"},
		{"old version", "HELLO 0 00000000000000ff x -", "protocol version 0 is not supported"},
		{"bad name", "HELLO 1 00000000000000ff x/y -", "name"},
		{"silence", "", "handshake timed out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := transport.TCP{}
			c := newCluster(t, tr, 1, func(cfg *Config) { cfg.HandshakeTimeout = 200 * time.Millisecond })
			raw := dialRaw(t, tr, c.nodes[0].Addr())
			if tt.first != "" {
				raw.send(tt.first)
			}
			line := raw.expect("ERR ")
			if !strings.Contains(line, tt.want) {
				t.Fatalf("got %q, want it to mention %q", line, tt.want)
			}
			if _, err := raw.readLine(); err == nil {
				t.Fatal("connection still open after the refusal")
			}
			c.recs[0].waitFor(t, "an error event", func() bool { return len(c.recs[0].errs) > 0 })
			if n := len(c.nodes[0].Peers()); n != 0 {
				t.Fatalf("%d peers after a failed handshake", n)
			}
		})
	}
}

// A newer peer is spoken to in the version both know.
func TestHandshakeNewerVersionAccepted(t *testing.T) {
	tr := memnet.New(0)
	c := newCluster(t, tr, 1, nil)
	raw := dialRaw(t, tr, c.nodes[0].Addr())
	raw.send("HELLO 7 00000000000000ff future 127.0.0.1:1 some-new-field")
	raw.expect("HELLO 1 " + c.nodes[0].ID() + " n0 ")
	raw.send("MSG 00000000000000ff-1 1 future from the future")
	c.recs[0].waitMessages(t, 1)
}

func TestSecondHelloIsAProtocolError(t *testing.T) {
	tr := memnet.New(0)
	c := newCluster(t, tr, 1, nil)
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
	c := newCluster(t, tr, 1, nil)
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
	if err == nil || !strings.Contains(err.Error(), "too many peers") {
		t.Fatalf("Connect to a full node = %v, want too many peers", err)
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

// A listener that accepts but never says HELLO (not a p2p node) makes
// Connect fail with a message that says so, whether the handshake timeout
// or the dial timeout ends the wait first.
func TestConnectToSilentListenerSaysNoHello(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	for _, tc := range []struct{ handshake, dial time.Duration }{
		{200 * time.Millisecond, time.Hour}, {time.Hour, 200 * time.Millisecond}, {200 * time.Millisecond, 200 * time.Millisecond},
	} {
		c := newCluster(t, transport.TCP{}, 1, func(cfg *Config) { cfg.HandshakeTimeout, cfg.DialTimeout = tc.handshake, tc.dial })
		_, err := c.nodes[0].Connect(context.Background(), silent.Addr().String())
		want := "no HELLO from " + silent.Addr().String() + " within 200ms: is it a p2p node?"
		if !errors.Is(err, ErrNoHello) || !strings.Contains(err.Error(), want) {
			t.Errorf("handshake timeout %v, dial timeout %v: Connect = %v, want ErrNoHello saying %q", tc.handshake, tc.dial, err, want)
		}
		c.close()
	}
}

// A canceled context ends a connect that is waiting for HELLO, and Close
// ends the node's own dials: neither waits for the handshake timeout.
func TestCanceledConnectAndCloseDoNotWait(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() { // accept and say nothing
		for {
			conn, err := silent.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	c := newCluster(t, transport.TCP{}, 1, func(cfg *Config) {
		cfg.HandshakeTimeout = time.Hour // only cancellation can end the wait
		cfg.DialTimeout = time.Hour
	})
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() {
		_, err := c.nodes[0].Connect(ctx, silent.Addr().String())
		result <- err
	}()
	cancel()
	select {
	case err := <-result:
		if err == nil {
			t.Fatal("canceled Connect succeeded")
		}
	case <-time.After(waitTimeout):
		t.Fatal("Connect ignored its canceled context")
	}

	// Auto-join dialing the silent address; Close must not wait on it.
	if err := c.nodes[0].Join(context.Background(), "127.0.0.1:1"); err == nil {
		t.Log("unexpected: port 1 answered")
	}
	go c.nodes[0].Join(context.Background(), silent.Addr().String())
	closed := make(chan struct{})
	go func() { c.nodes[0].Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(waitTimeout):
		t.Fatal("Close waited for a dial in its handshake")
	}
}
