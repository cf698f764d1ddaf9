package node

import (
	"net"
	"testing"
)

func TestAdvertisedAddr(t *testing.T) {
	remote := &net.TCPAddr{IP: net.ParseIP("127.0.0.5"), Port: 40000}
	for _, tt := range []struct{ in, want string }{
		{"127.0.0.1:55555", "127.0.0.1:55555"},
		{":55555", "127.0.0.5:55555"},
		{"[::]:55555", "127.0.0.5:55555"},
		{"0.0.0.0:7", "127.0.0.5:7"},
		{"-", ""},
		{"127.77.0.1:3", "127.77.0.1:3"},
		{"example.com:3", "127.0.0.5:3"}, // a host name could be anyone: the host it came from
		{"127.0.0.1:0080", "127.0.0.1:80"},
	} {
		if got := advertisedAddr(tt.in, remote); got != tt.want {
			t.Errorf("advertisedAddr(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIsOwnAddr(t *testing.T) {
	for _, tt := range []struct {
		own, addr string
		want      bool
	}{
		{"[::]:55555", "127.0.0.1:55555", true},
		{"[::]:55555", "[::1]:55555", true},
		{":55555", "127.0.0.1:55555", true},
		{"127.0.0.1:55555", "127.0.0.1:55555", true},
		{"[::]:55555", "127.0.0.1:55556", false},
		{"[::]:55555", "10.1.2.3:55555", false},
		{"10.1.2.3:55555", "127.0.0.1:55555", false},
		{"127.77.0.1:3", "127.77.0.1:3", true},
		{"127.77.0.1:3", "127.77.0.1:4", false},
	} {
		n := &Node{addr: tt.own}
		if got := n.isOwnAddr(tt.addr); got != tt.want {
			t.Errorf("own %s: isOwnAddr(%s) = %v, want %v", tt.own, tt.addr, got, tt.want)
		}
	}
}

// Join while the node closes never sends on the closed events channel
// (it would panic) and never outlives Close.
