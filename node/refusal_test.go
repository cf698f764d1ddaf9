package node

import (
	"bufio"
	"context"
	"errors"
	"testing"

	"github.com/p2p-chat/p2p/node/transport/memnet"
)

// A refusal that crosses the wire comes back as a *RefusedError that wraps
// the sentinel its reason names, whatever follows the phrase.
func TestRemoteRefusalsAreTyped(t *testing.T) {
	tests := []struct {
		reason string
		want   error // nil: no sentinel
	}{
		{"connection to self", ErrSelf},
		{"already connected to bob (node 00000000000000aa)", ErrAlreadyConnected},
		{"too many peers: the limit is 1", ErrTooManyPeers},
		{"too many peers: too many connections in their handshake", ErrTooManyPeers},
		{"protocol version 0 is not supported (this node speaks 1 to 1)", ErrUnsupportedVersion},
		{"handshake timed out waiting for HELLO", nil},
		{"something a newer node says", nil},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			net := memnet.New(0)
			ln, err := net.Listen("")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() { // a node that refuses every HELLO with tt.reason
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				bufio.NewReader(c).ReadString('\n')
				c.Write([]byte("ERR " + tt.reason + "\n"))
			}()
			n, err := New(Config{Name: "a", Transport: net})
			if err != nil {
				t.Fatal(err)
			}
			go func() {
				for range n.Events() {
				}
			}()
			defer n.Close()
			_, err = n.Connect(context.Background(), ln.Addr().String())
			var re *RefusedError
			if !errors.As(err, &re) || re.Reason != tt.reason {
				t.Fatalf("Connect = %v, want a *RefusedError with reason %q", err, tt.reason)
			}
			for _, s := range []error{ErrSelf, ErrAlreadyConnected, ErrTooManyPeers, ErrUnsupportedVersion} {
				if got := errors.Is(err, s); got != (s == tt.want) {
					t.Errorf("errors.Is(%v, %v) = %v", err, s, got)
				}
			}
		})
	}
}

// A protocol error the other side answers the handshake with comes back
// as a *ProtocolError inside the refusal.
func TestRemoteProtocolErrorIsTyped(t *testing.T) {
	err := refused("protocol error: expected HELLO, got MSG")
	var pe *ProtocolError
	if !errors.As(err, &pe) || pe.Reason != "expected HELLO, got MSG" {
		t.Fatalf("refused(protocol error) = %v, want it to wrap a *ProtocolError", err)
	}
}

// A real node's refusal, end to end: the reason it sends is the text of
// the sentinel it refused with, so the dialer's error wraps the same one.
func TestRealRefusalWrapsTheSentinel(t *testing.T) {
	c := newCluster(t, memnet.New(0), 3, func(cfg *Config) { cfg.MaxPeers = 1 })
	defer c.close()
	c.link([][2]int{{0, 1}})
	_, err := c.nodes[2].Connect(context.Background(), c.nodes[1].Addr())
	var re *RefusedError
	if !errors.Is(err, ErrTooManyPeers) || !errors.As(err, &re) {
		t.Fatalf("Connect to a full node = %v, want a *RefusedError wrapping ErrTooManyPeers", err)
	}
	// Our own refusal of a version wraps ErrUnsupportedVersion too.
	if err := error(&versionError{0}); !errors.Is(err, ErrUnsupportedVersion) {
		t.Fatalf("versionError does not wrap ErrUnsupportedVersion")
	}
}
