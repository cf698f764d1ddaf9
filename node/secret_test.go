package node

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/p2p-chat/p2p/node/transport/memnet"
	"github.com/p2p-chat/p2p/node/transport/secure"
)

// TestPrivateNetwork: nodes with the same secret talk, over encrypted
// links whose binding the handshake proofs sign; a node with another
// secret, or none, cannot connect, and says why.
func TestPrivateNetwork(t *testing.T) {
	tr := memnet.New(0)
	secrets := [][]byte{[]byte("our class's network secret"), []byte("our class's network secret"), []byte("another network's secret"), nil}
	i := 0
	c := newCluster(t, tr, 4, func(cfg *Config) { cfg.Secret = secrets[i]; i++ })
	c.link([][2]int{{0, 1}})
	if _, err := c.nodes[0].Send("private"); err != nil {
		t.Fatal(err)
	}
	c.recs[1].waitMessages(t, 1)
	for _, p := range c.nodes[0].peers.snapshot() {
		if channelBinding(p.conn) == nil {
			t.Fatal("the link has no channel binding: it is not encrypted")
		}
	}
	for _, outsider := range []int{2, 3} {
		_, err := c.nodes[outsider].Connect(context.Background(), c.nodes[0].Addr())
		if outsider == 2 && !errors.Is(err, secure.ErrHandshake) {
			t.Fatalf("another secret: %v, want secure.ErrHandshake", err)
		}
		var re *RefusedError
		if outsider == 3 && (!errors.As(err, &re) || !strings.Contains(re.Reason, "private network")) {
			t.Fatalf("no secret: %v, want a refusal that says it is a private network", err)
		}
		if err == nil {
			t.Fatalf("n%d connected without the secret", outsider)
		}
	}
	if _, err := New(Config{Secret: []byte("short")}); err == nil {
		t.Fatal("a 5-byte secret was taken")
	}
}
