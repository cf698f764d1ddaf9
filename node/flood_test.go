package node

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/p2p-chat/p2p/node/transport"
	"github.com/p2p-chat/p2p/node/transport/memnet"
)

var topologies = []struct {
	name  string
	nodes int
	edges [][2]int
}{
	{"chain3", 3, chain(3)},
	{"cycle3", 3, ring(3)},
	{"ring5", 5, ring(5)},
	{"complete5", 5, complete(5)},
}

// floodRun is one topology over one transport.
type floodRun struct {
	name  string
	tr    func() transport.Transport
	nodes int
	edges [][2]int
}

// floodRuns gives every topology over memnet, and the densest one (the
// most links at once) over TCP, the real sockets.
func floodRuns() []floodRun {
	var runs []floodRun
	for _, tr := range transports {
		for _, topo := range topologies {
			if tr.name == "tcp" && topo.name != "complete5" {
				continue
			}
			runs = append(runs, floodRun{tr.name + "/" + topo.name, tr.make, topo.nodes, topo.edges})
		}
	}
	return runs
}

// checkExactlyOnce fails unless every node but the senders' own got each
// of want exactly once. Call it after the cluster is closed, so a late
// duplicate would have been seen.
func checkExactlyOnce(t *testing.T, c *cluster, sentBy map[string]int) {
	t.Helper()
	for i, r := range c.recs {
		got := map[string]int{}
		for _, m := range r.messages() {
			got[m.ID]++
		}
		for id, from := range sentBy {
			want := 1
			if from == i {
				want = 0 // a node never delivers its own message
			}
			if got[id] != want {
				t.Errorf("n%d delivered %s %d times, want %d", i, id, got[id], want)
			}
		}
		if len(got) > len(sentBy) {
			t.Errorf("n%d delivered %d distinct ids, only %d were sent", i, len(got), len(sentBy))
		}
	}
}

func TestFloodOneMessage(t *testing.T) {
	for _, topo := range floodRuns() {
		t.Run(topo.name, func(t *testing.T) {
			c := newCluster(t, topo.tr(), topo.nodes, nil)
			c.link(topo.edges)
			sent, err := c.nodes[0].Send("hello, world")
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range c.recs[1:] {
				r.waitMessages(t, 1)
			}
			c.close()
			checkExactlyOnce(t, c, map[string]int{sent.ID: 0})
			for i, r := range c.recs[1:] {
				m := r.messages()[0]
				if m.Text != "hello, world" || m.Origin != "n0" || m.Hops < 1 || m.From == "" {
					t.Errorf("n%d got %+v", i+1, m)
				}
			}
		})
	}
}

// A burst of more messages than a send queue holds (4096 frames by
// default) reaches every node exactly once.
func TestFloodBurst(t *testing.T) {
	t.Parallel()
	// The burst is four times the send queue's bound: the sender is held
	// back by backpressure, and nothing is lost or cut.
	const queue = 256
	const burst = 4 * queue
	for _, topo := range floodRuns() {
		t.Run(topo.name, func(t *testing.T) {
			// Unsigned: this is about queues and fan-out order, which are the
			// same for both protocols, and signatures under -race are slow.
			c := newCluster(t, topo.tr(), topo.nodes, func(cfg *Config) { cfg.QueueFrames, cfg.Unsigned = queue, true })
			c.link(topo.edges)
			sentBy := make(map[string]int, burst)
			for i := 0; i < burst; i++ {
				s, err := c.nodes[0].Send(fmt.Sprintf("burst message %d", i))
				if err != nil {
					t.Fatalf("send %d: %v", i, err)
				}
				sentBy[s.ID] = 0
			}
			for _, r := range c.recs[1:] {
				r.waitMessages(t, burst)
			}
			c.close()
			checkExactlyOnce(t, c, sentBy)
			for i, nd := range c.nodes {
				if s := nd.Stats(); s.SlowPeers != 0 || s.ProtocolErrors != 0 {
					t.Errorf("n%d stats %+v: want no slow peers and no protocol errors", i, s)
				}
			}
		})
	}
}

func TestFloodTwoSenders(t *testing.T) {
	t.Parallel()
	const each = 1000
	for _, topo := range floodRuns() {
		t.Run(topo.name, func(t *testing.T) {
			c := newCluster(t, topo.tr(), topo.nodes, unsignedNodes) // the flood rule under two bursts; signed volume: TestExactlyOnceUnderVolume
			c.link(topo.edges)
			senders := []int{0, topo.nodes - 1}
			var mu sync.Mutex
			sentBy := map[string]int{}
			var wg sync.WaitGroup
			for _, s := range senders {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < each; i++ {
						m, err := c.nodes[s].Send(fmt.Sprintf("from n%d #%d", s, i))
						if err != nil {
							t.Errorf("send: %v", err)
							return
						}
						mu.Lock()
						sentBy[m.ID] = s
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			for i, r := range c.recs {
				want := 2 * each
				if i == senders[0] || i == senders[1] {
					want = each
				}
				r.waitMessages(t, want)
			}
			c.close()
			checkExactlyOnce(t, c, sentBy)
		})
	}
}

// The hop limit stops forwarding: in a chain with MaxHops 2 the third node
// delivers a message but does not pass it on.
func TestFloodHopLimit(t *testing.T) {
	c := newCluster(t, memnet.New(0), 4, func(cfg *Config) { cfg.MaxHops = 2 })
	c.link(chain(4))
	if _, err := c.nodes[0].Send("short trip"); err != nil {
		t.Fatal(err)
	}
	c.recs[2].waitMessages(t, 1)
	if m := c.recs[2].messages()[0]; m.Hops != 2 {
		t.Fatalf("n2 got the message after %d hops, want 2", m.Hops)
	}
	// n2 decides to forward before it delivers, so its counters are final.
	if f := c.nodes[2].Stats().Forwarded; f != 0 {
		t.Fatalf("n2 forwarded %d copies past the hop limit, want 0", f)
	}
	if f := c.nodes[1].Stats().Forwarded; f != 1 {
		t.Fatalf("n1 forwarded %d copies, want 1", f)
	}
}

// Two copies of one id arriving at the same moment on two connections give
// one delivery and one forward to each other peer.
func TestFloodRacingCopies(t *testing.T) {
	const ids = 200
	tr := memnet.New(0)
	c := newCluster(t, tr, 2, unsignedNodes)
	c.link([][2]int{{0, 1}})
	hub := c.nodes[0]
	x := dialRaw(t, tr, hub.Addr())
	x.handshake("00000000000000aa", "x")
	y := dialRaw(t, tr, hub.Addr())
	y.handshake("00000000000000bb", "y")

	start := make(chan struct{})
	var wg sync.WaitGroup
	for k, p := range []*rawPeer{x, y} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := 0; i < ids; i++ {
				p.send(fmt.Sprintf("MSG 00000000000000d1-%d 1 origin copy %d", i+1, i))
			}
			// A frame only this peer sends: once it is delivered, the
			// hub has handled every frame before it on this connection.
			p.send(fmt.Sprintf("MSG 00000000000000e%d-1 1 origin end", k+1))
		}()
	}
	close(start)
	wg.Wait()
	c.recs[0].waitMessages(t, ids+2)
	s := hub.Stats()
	if s.Delivered != ids+2 || s.Duplicates != ids || s.Forwarded != 2*(ids+2) {
		t.Fatalf("hub stats: delivered %d, duplicates %d, forwarded %d; want %d, %d, %d",
			s.Delivered, s.Duplicates, s.Forwarded, ids+2, ids, 2*(ids+2))
	}
	c.recs[1].waitMessages(t, ids+2)
	x.conn.Close()
	y.conn.Close()
	c.close()
	want := map[string]int{}
	for i := 0; i < ids; i++ {
		want[fmt.Sprintf("00000000000000d1-%d", i+1)] = -1
	}
	for _, m := range c.recs[1].messages() {
		if m.Text == "end" {
			want[m.ID] = -1
		}
	}
	checkExactlyOnce(t, c, want)
}

// Every peer gets a node's outgoing messages in the same order, even when
// the node sends its own while it forwards others': so a reply this node
// forwards never overtakes, on any link, the message it answers.
func TestFanOutOrderIsTheSameForEveryPeer(t *testing.T) {
	const each = 500
	tr := memnet.New(0)
	c := newCluster(t, tr, 1, unsignedNodes)
	hub := c.nodes[0]
	src := dialRaw(t, tr, hub.Addr())
	src.handshake("00000000000000a0", "src")
	sinks := []*rawPeer{dialRaw(t, tr, hub.Addr()), dialRaw(t, tr, hub.Addr())}
	sinks[0].handshake("00000000000000b0", "sink0")
	sinks[1].handshake("00000000000000c0", "sink1")

	go func() {
		for i := 0; i < each; i++ {
			src.send(fmt.Sprintf("MSG 00000000000000a0-%d 1 src relayed %d", i+1, i))
		}
	}()
	go func() {
		for i := 0; i < each; i++ {
			hub.Send(fmt.Sprintf("own %d", i))
		}
	}()
	var got [2][]string
	var wg sync.WaitGroup
	for k, sink := range sinks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for len(got[k]) < 2*each {
				line, err := sink.readLine()
				if err != nil {
					t.Errorf("sink%d: %v", k, err)
					return
				}
				if strings.HasPrefix(line, "MSG ") {
					got[k] = append(got[k], strings.Fields(line)[1])
				}
			}
		}()
	}
	wg.Wait()
	for i := range got[0] {
		if got[0][i] != got[1][i] {
			t.Fatalf("frame %d: sink0 got %s, sink1 got %s: the peers see different orders", i, got[0][i], got[1][i])
		}
	}
}

// A node never sends a peer a line longer than the peer said it accepts:
// it would have to refuse it and hang up. The message is skipped for that
// peer and counted; the link stays.
func TestLongMessageSkipsPeerWithShorterLimit(t *testing.T) {
	tr := memnet.New(0)
	c := newCluster(t, tr, 3, func(cfg *Config) {
		if cfg.Name == "n2" {
			cfg.MaxLineBytes = 1024
		}
	})
	c.link(chain(3))
	long := strings.Repeat("x", 2000)
	if _, err := c.nodes[0].Send(long); err != nil {
		t.Fatal(err)
	}
	if _, err := c.nodes[0].Send("short"); err != nil {
		t.Fatal(err)
	}
	c.recs[1].waitMessages(t, 2)
	c.recs[2].waitMessages(t, 1)
	if m := c.recs[2].messages(); m[0].Text != "short" {
		t.Fatalf("n2 got %q, want only the short message", m[0].Text)
	}
	if s := c.nodes[1].Stats(); s.TooLongForPeer != 1 || s.ProtocolErrors != 0 {
		t.Fatalf("n1 stats %+v: want 1 copy skipped as too long and no protocol error", s)
	}
	if n := len(c.nodes[2].Peers()); n != 1 {
		t.Fatalf("n2 has %d peers, want its link to n1 kept", n)
	}
}

// Two nodes sending far more than their queues hold, at the same time,
// toward each other: backpressure must not deadlock them into cutting a
// healthy link (each waits for the other to read while the other waits).
func TestTwoSendersSaturateEachOther(t *testing.T) {
	t.Parallel()
	const each = 5000
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			c := newCluster(t, tr.make(), 2, func(cfg *Config) {
				cfg.QueueFrames = 64
				cfg.QueueBytes = 16 << 10
				cfg.Unsigned = true // backpressure, not signatures
			})
			c.link([][2]int{{0, 1}})
			var wg sync.WaitGroup
			for i := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for k := 0; k < each; k++ {
						if _, err := c.nodes[i].Send(fmt.Sprintf("n%d %d %s", i, k, strings.Repeat("s", 200))); err != nil {
							t.Errorf("send: %v", err)
							return
						}
					}
				}()
			}
			wg.Wait()
			c.recs[0].waitMessages(t, each)
			c.recs[1].waitMessages(t, each)
			for i, nd := range c.nodes {
				if s := nd.Stats(); s.SlowPeers != 0 {
					t.Errorf("n%d cut %d slow peers", i, s.SlowPeers)
				}
			}
		})
	}
}

// Every node of a ring and of a complete graph sends a burst at once,
// many times more messages than the seen set's table holds: every node
// still delivers every message exactly once, and no link is cut. Copies
// of a message still travel long after its id left the table; the
// delivered log must know them.
func TestExactlyOnceUnderVolume(t *testing.T) {
	t.Parallel()
	// Each node sends past its send queue's bound (so relays wait on each
	// other around the cycles), and every node sees 12 times its seen
	// table's size. The nodes sign: this is the exactly-once test of the
	// signed path (verify once, then the test-and-set) under volume.
	const nodes, each, table, queue = 8, 150, 100, 128
	for _, topo := range []struct {
		name  string
		edges [][2]int
	}{{"ring8", ring(nodes)}, {"complete8", complete(nodes)}} {
		t.Run(topo.name, func(t *testing.T) {
			c := newCluster(t, memnet.New(0), nodes, func(cfg *Config) { cfg.SeenMax, cfg.QueueFrames = table, queue })
			c.link(topo.edges)
			var wg sync.WaitGroup
			sentBy := make([]map[string]int, nodes)
			for i := range nodes {
				sentBy[i] = map[string]int{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					for k := 0; k < each; k++ {
						s, err := c.nodes[i].Send(fmt.Sprintf("n%d %d", i, k))
						if err != nil {
							t.Errorf("send: %v", err)
							return
						}
						sentBy[i][s.ID] = i
					}
				}()
			}
			wg.Wait()
			for _, r := range c.recs {
				r.waitMessages(t, (nodes-1)*each)
			}
			slow := uint64(0)
			for _, nd := range c.nodes {
				slow += nd.Stats().SlowPeers
			}
			c.close()
			want := map[string]int{}
			for _, m := range sentBy {
				for id, from := range m {
					want[id] = from
				}
			}
			checkExactlyOnce(t, c, want)
			if slow != 0 {
				t.Errorf("%d links cut as slow", slow)
			}
		})
	}
}
