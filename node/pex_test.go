package node

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/p2p-chat/p2p/node/transport/memnet"
)

// The attacks on peer exchange and admission of docs/security.md.

// TestPoisonedPeerExchange: a peer answers GETPEERS with 1,000 spellings
// of one victim address (any TCP service). They are one address to the
// node, which dials it at most 10 times in a minute.
func TestPoisonedPeerExchange(t *testing.T) {
	onFakeClock(t, func(t *testing.T) {
		tr := memnet.New(0)
		victim, err := tr.Listen("")
		if err != nil {
			t.Fatal(err)
		}
		defer victim.Close()
		go func() { // not a p2p node: it takes connections and hangs up
			for {
				conn, err := victim.Accept()
				if err != nil {
					return
				}
				conn.Close()
			}
		}()
		host, port, _ := net.SplitHostPort(victim.Addr().String())
		var spellings []string
		for i := 0; len(spellings) < 1000; i++ {
			zeros := strings.Repeat("0", i%5)
			switch i % 4 {
			case 0:
				spellings = append(spellings, fmt.Sprintf("%s:%s%s", host, zeros, port))
			case 1:
				spellings = append(spellings, fmt.Sprintf("[::ffff:%s]:%s%s", host, zeros, port))
			case 2:
				spellings = append(spellings, fmt.Sprintf("[0:0:0:0:0:ffff:%s]:%s%s", host, zeros, port))
			case 3:
				spellings = append(spellings, fmt.Sprintf("victim%d.example:%s", i, port))
			}
		}
		c := newCluster(t, tr, 1, func(cfg *Config) { cfg.AllowUnsigned = true })
		n := c.nodes[0]
		liar := dialRaw(t, tr, n.Addr())
		liar.send("HELLO 1 00000000000000e1 liar -")
		liar.expect("HELLO ")
		for i := 0; i < len(spellings); i += 32 {
			liar.send("PEERS " + strings.Join(spellings[i:min(i+32, len(spellings))], " "))
		}
		liar.send("MSG 00000000000000e1-1 1 liar done") // frames are handled in order
		c.recs[0].waitMessages(t, 1)
		victimAddr, _ := normalizeAddr(victim.Addr().String())
		known := 0
		for _, k := range n.Known() {
			if k.Addr != liar.conn.RemoteAddr().String() {
				known++
				if k.Addr != victimAddr {
					t.Errorf("learned %s, want only %s", k.Addr, victimAddr)
				}
			}
		}
		if known != 1 {
			t.Fatalf("1,000 spellings made %d known addresses, want 1", known)
		}
		n.startJoining()
		time.Sleep(time.Minute)
		c.recs[0].mu.Lock()
		dials := len(c.recs[0].dials)
		c.recs[0].mu.Unlock()
		if dials > 10 {
			t.Fatalf("%d dials to the victim in a minute, want at most 10", dials)
		}
		t.Logf("%d dials to the victim in a minute", dials)
	})
}

// TestSilentConnectionsDoNotLockOut: connections that never say HELLO
// fill a node's handshake slots; an honest peer still connects at once
// (the oldest silent one makes room), and a joining node's own dials do
// not need those slots.
func TestSilentConnectionsDoNotLockOut(t *testing.T) {
	onFakeClock(t, func(t *testing.T) {
		tr := memnet.New(0)
		const slots = 8
		c := newCluster(t, tr, 3, func(cfg *Config) { cfg.MaxPeers = slots })
		target, honest := c.nodes[0], c.nodes[1]
		for range 2 * slots {
			dialRaw(t, tr, target.Addr()) // says nothing
		}
		start := time.Now()
		if _, err := honest.Connect(context.Background(), target.Addr()); err != nil {
			t.Fatalf("an honest connect behind %d silent connections: %v", 2*slots, err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("the honest connect took %v", took)
		}
		// The target dials out while its inbound slots are full of silence.
		for range slots {
			dialRaw(t, tr, target.Addr())
		}
		if _, err := target.Connect(context.Background(), c.nodes[2].Addr()); err != nil {
			t.Fatalf("the target's own dial, its inbound handshake slots full: %v", err)
		}
	})
}

// TestSilentConnectionsAgainstAJoinNode: 8 silent connections held open
// (reopened as the handshake timeout closes them) against a joining node
// whose only known address does not answer: it makes at most a few dials a
// second, backing off as for any failure.
func TestSilentConnectionsAgainstAJoinNode(t *testing.T) {
	onFakeClock(t, func(t *testing.T) {
		tr := memnet.New(0)
		c := newCluster(t, tr, 1, func(cfg *Config) { cfg.MaxPeers, cfg.TargetPeers = 8, 4 })
		j := c.nodes[0]
		stop := make(chan struct{})
		defer close(stop)
		for range 8 {
			go func() { // a silent connection, reopened when closed
				for {
					conn, err := tr.Dial(context.Background(), j.Addr())
					if err != nil {
						return
					}
					buf := make([]byte, 64)
					for {
						if _, err := conn.Read(buf); err != nil {
							break
						}
					}
					conn.Close()
					select {
					case <-stop:
						return
					default:
					}
				}
			}()
		}
		j.learn("127.77.0.1:404", "", "", "join") // nothing listens there
		j.startJoining()
		time.Sleep(20 * time.Second)
		c.recs[0].mu.Lock()
		dials := len(c.recs[0].dials)
		c.recs[0].mu.Unlock()
		if dials > 20 {
			t.Fatalf("%d dials in 20 s, want a few a second at most", dials)
		}
		t.Logf("%d dials in 20 s", dials)
	})
}

// TestOccupiedJoinNodeMakesRoom: an attacker holds every peer slot of a
// joining node with connections that bring nothing. An honest node that
// connects evicts one of them, and the joining node dials a link of its
// own choice.
func TestOccupiedJoinNodeMakesRoom(t *testing.T) {
	onFakeClock(t, func(t *testing.T) {
		tr := memnet.New(0)
		const max = 8
		c := newCluster(t, tr, 3, func(cfg *Config) { cfg.MaxPeers, cfg.TargetPeers = max, max/2 })
		j, honest, other := c.nodes[0], c.nodes[1], c.nodes[2]
		for i := range max {
			dialSigned(t, tr, j.Addr(), fmt.Sprintf("squatter%d", i), nil)
		}
		if n := len(j.Peers()); n != max {
			t.Fatalf("%d peers, want the %d squatters", n, max)
		}
		if _, err := honest.Connect(context.Background(), j.Addr()); err != nil {
			t.Fatalf("an honest node connecting to the full node: %v", err)
		}
		c.recs[0].waitDown(t, "evicted to make room for n1")
		j.learn(other.Addr(), "", "", "test")
		start := time.Now()
		j.startJoining()
		c.recs[0].waitFor(t, "a link of its own", func() bool {
			for _, p := range j.Peers() {
				if p.ID == other.ID() && !p.Inbound {
					return true
				}
			}
			return false
		})
		// At its first upkeep, not at a shuffle (every 10 join intervals).
		if took, most := time.Since(start), 2*j.Config().JoinInterval; took > most {
			t.Fatalf("the joining node dialled a link of its own after %v, want at most %v", took, most)
		}
		if n := len(j.Peers()); n > max {
			t.Fatalf("%d peers, want at most %d", n, max)
		}
	})
}
