package node

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/p2p-chat/p2p/node/identity"
	"github.com/p2p-chat/p2p/node/transport/memnet"
	"github.com/p2p-chat/p2p/node/wire"
)

// sybil is an attacker's node: it completes the signed handshake, answers
// GETPEERS with its fellow sybils' addresses, and passes nothing on.
type sybil struct {
	ln     net.Listener
	key    *identity.Key
	fellow func() []string
}

func startSybil(t *testing.T, tr *memnet.Network, fellow func() []string) *sybil {
	ln, err := tr.Listen("")
	if err != nil {
		t.Fatal(err)
	}
	key, _ := identity.Generate()
	s := &sybil{ln: ln, key: key, fellow: fellow}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(conn)
		}
	}()
	return s
}

func (s *sybil) serve(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	hello, err := r.ReadString('\n')
	if err != nil {
		return
	}
	fields := strings.Fields(hello)
	if len(fields) < 3 {
		return
	}
	theirs := ""
	for _, f := range fields {
		if v, ok := strings.CutPrefix(f, "nonce="); ok {
			theirs = v
		}
	}
	ours := identity.NewNonce()
	conn.Write([]byte(wire.EncodeHello(2, s.key.ID(), "sybil", s.ln.Addr().String(), 65536, s.key.PublicText(), ours)))
	if _, err := r.ReadString('\n'); err != nil { // the dialer's AUTH, believed
		return
	}
	conn.Write([]byte(wire.EncodeAuth(s.key.SignProof(identity.Transcript(false, []byte(theirs), []byte(ours), s.key.ID(), fields[2], nil)))))
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if strings.HasPrefix(line, "GETPEERS") {
			conn.Write([]byte(wire.EncodePeers(s.fellow())))
		}
	}
}

// TestSybilsCannotIsolateJoiners: the attacker fills the bootstrap node's
// free slots with connections that announce its sybils' addresses and
// runs 60 sybil nodes that vouch for each other; 4 nodes join through the
// bootstrap. Every joiner's message reaches every honest node.
func TestSybilsCannotIsolateJoiners(t *testing.T) {
	onFakeClock(t, func(t *testing.T) {
		tr := memnet.New(0)
		var sybils []*sybil
		fellows := func() []string {
			var out []string
			for i := range min(len(sybils), wire.MaxPeerAddrs) {
				out = append(out, sybils[(i*7)%len(sybils)].ln.Addr().String())
			}
			return out
		}
		for range 60 {
			sybils = append(sybils, startSybil(t, tr, fellows))
		}
		// 6 honest nodes: the bootstrap n0 (room for 8), n1..n5 linked to it.
		c := newCluster(t, tr, 10, func(cfg *Config) { cfg.MaxPeers, cfg.TargetPeers = 8, 4 })
		for _, e := range [][2]int{{0, 1}, {0, 2}, {3, 0}, {4, 0}, {5, 0}} {
			time.Sleep(time.Millisecond) // each link a moment younger (eviction looks at age)
			c.link([][2]int{e})
		}
		boot := c.nodes[0]
		// The attacker takes the bootstrap's 3 free slots, each announcing a sybil.
		for i := range 3 {
			time.Sleep(time.Millisecond)
			a := dialRaw(t, tr, boot.Addr())
			k, _ := identity.Generate()
			ours := identity.NewNonce()
			a.send(strings.TrimSuffix(wire.EncodeHello(2, k.ID(), fmt.Sprint("squat", i), sybils[i].ln.Addr().String(), 65536, k.PublicText(), ours), "\n"))
			_, theirs := helloFields(t, a.expect("HELLO 2 "))
			a.send(strings.TrimSuffix(wire.EncodeAuth(k.SignProof(identity.Transcript(true, []byte(theirs), []byte(ours), k.ID(), boot.ID(), nil))), "\n"))
			a.expect("AUTH ")
			a.send("PEERS " + strings.Join(fellows(), " "))
		}
		if n := len(boot.Peers()); n != 8 {
			t.Fatalf("the bootstrap has %d peers, want 8 (full)", n)
		}
		// Four nodes join through it.
		for i := 6; i < 10; i++ {
			time.Sleep(time.Millisecond)
			if err := c.nodes[i].Join(context.Background(), boot.Addr()); err != nil {
				t.Fatalf("n%d joining: %v", i, err)
			}
		}
		time.Sleep(30 * time.Second) // a few join intervals and shuffles
		for i := 6; i < 10; i++ {
			if _, err := c.nodes[i].Send(fmt.Sprintf("from n%d", i)); err != nil {
				t.Fatal(err)
			}
		}
		for h := range 10 {
			c.recs[h].waitFor(t, "every joiner's message", func() bool {
				got := map[string]bool{}
				for _, m := range c.recs[h].msgs {
					got[m.Text] = true
				}
				for i := 6; i < 10; i++ {
					if i != h && !got[fmt.Sprintf("from n%d", i)] {
						return false
					}
				}
				return true
			})
		}
		for i := 6; i < 10; i++ {
			honest := 0
			for _, p := range c.nodes[i].Peers() {
				if p.Name != "sybil" {
					honest++
				}
			}
			t.Logf("n%d: %d peers, %d honest", i, len(c.nodes[i].Peers()), honest)
		}
	})
}
