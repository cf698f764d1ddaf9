package node

import (
	"context"
	"fmt"
	"net"
	"reflect"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/p2p-chat/p2p/node/transport"
	"github.com/p2p-chat/p2p/node/transport/memnet"
)

// crashNet is a node's view of a shared transport that can end the node
// without goodbyes: crash closes its listener and every connection at
// once, as when the process is killed, and then closes the node.
type crashNet struct {
	transport.Transport

	mu    sync.Mutex // guards lns and conns
	lns   []net.Listener
	conns []net.Conn
}

func (c *crashNet) Listen(addr string) (net.Listener, error) {
	ln, err := c.Transport.Listen(addr)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.lns = append(c.lns, ln)
	c.mu.Unlock()
	return crashListener{ln, c}, nil
}

func (c *crashNet) Dial(ctx context.Context, addr string) (net.Conn, error) {
	conn, err := c.Transport.Dial(ctx, addr)
	if err == nil {
		c.track(conn)
	}
	return conn, err
}

func (c *crashNet) track(conn net.Conn) {
	c.mu.Lock()
	c.conns = append(c.conns, conn)
	c.mu.Unlock()
}

type crashListener struct {
	net.Listener
	c *crashNet
}

func (l crashListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err == nil {
		l.c.track(conn)
	}
	return conn, err
}

func (c *crashNet) crash(n *Node) {
	c.mu.Lock()
	for _, ln := range c.lns {
		ln.Close()
	}
	for _, conn := range c.conns {
		conn.Close()
	}
	c.mu.Unlock()
	n.Close()
}

func joinConfig(bootstrap string) func(*Config) {
	return func(cfg *Config) {
		cfg.JoinInterval = 50 * time.Millisecond
		cfg.DialBackoff = 20 * time.Millisecond
		cfg.DialBackoffMax = 200 * time.Millisecond
		if bootstrap != "" {
			cfg.Join = []string{bootstrap}
		}
	}
}

// waitDegree waits until each of the given nodes has at least want peers.
func waitDegree(t *testing.T, c *cluster, idx []int, want int) {
	t.Helper()
	for _, i := range idx {
		nd := c.nodes[i]
		c.recs[i].waitFor(t, fmt.Sprintf("at least %d peers", want), func() bool { return len(nd.Peers()) >= want })
	}
}

// waitConnected waits until the given nodes form one connected graph in
// which each has at least want peers among them. Peers that died but are
// not yet noticed do not count. It wakes on any of the nodes' events (a
// peer list changes just before its event) and fails after timeout.
func waitConnected(t *testing.T, c *cluster, idx []int, want int, timeout time.Duration) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		cases := []reflect.SelectCase{{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(deadline.C)}}
		for _, i := range idx {
			r := c.recs[i]
			r.mu.Lock()
			cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(r.changed)})
			r.mu.Unlock()
		}
		why := connectedWithDegree(c, idx, want)
		if why == "" {
			return
		}
		if chosen, _, _ := reflect.Select(cases); chosen == 0 {
			t.Fatalf("after %v: %s", timeout, why)
		}
	}
}

// connectedWithDegree returns "" if the given nodes form one connected
// graph in which each has at least want peers among them, or else what
// is wrong.
func connectedWithDegree(c *cluster, idx []int, want int) string {
	byID := map[string]*Node{}
	for _, i := range idx {
		byID[c.nodes[i].ID()] = c.nodes[i]
	}
	for _, i := range idx {
		var live int
		for _, p := range c.nodes[i].Peers() {
			if byID[p.ID] != nil {
				live++
			}
		}
		if live < want {
			return fmt.Sprintf("%s has %d live peers, want at least %d", c.nodes[i].Name(), live, want)
		}
	}
	start := c.nodes[idx[0]]
	seen := map[string]bool{start.ID(): true}
	stack := []*Node{start}
	for len(stack) > 0 {
		nd := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, p := range nd.Peers() {
			if next := byID[p.ID]; next != nil && !seen[p.ID] {
				seen[p.ID] = true
				stack = append(stack, next)
			}
		}
	}
	if len(seen) != len(idx) {
		return fmt.Sprintf("the graph is not connected: %d of %d nodes reachable from %s", len(seen), len(idx), start.Name())
	}
	return ""
}

// sendAndCheck sends one message from nodes[from] and checks that every
// node in idx but the sender delivers it exactly once.
func sendAndCheck(t *testing.T, c *cluster, from int, idx []int, text string) {
	t.Helper()
	sent, err := c.nodes[from].Send(text)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range idx {
		if i == from {
			continue
		}
		r := c.recs[i]
		r.waitFor(t, "message "+text, func() bool { return r.count[sent.ID] > 0 })
	}
	// Flooding is done when every node delivered; a duplicate delivery
	// would have shown before its node passed the copy on. Check counts.
	for _, i := range idx {
		r := c.recs[i]
		r.mu.Lock()
		n := r.count[sent.ID]
		r.mu.Unlock()
		if want := map[bool]int{true: 0, false: 1}[i == from]; n != want {
			t.Errorf("n%d delivered %q %d times, want %d", i, text, n, want)
		}
	}
}

// Ten nodes join through one, then three of them crash: the rest repair
// the graph. Over memnet it runs on the fake clock with the default join
// interval and backoff; over TCP (the real sockets) with short ones.
func TestAutoJoinTenNodes(t *testing.T) {
	t.Run("mem", func(t *testing.T) {
		onFakeClock(t, func(t *testing.T) { testAutoJoinTenNodes(t, memnet.New(0), nil) })
	})
	t.Run("tcp", func(t *testing.T) {
		t.Parallel()
		testAutoJoinTenNodes(t, transport.TCP{}, joinConfig(""))
	})
}

func testAutoJoinTenNodes(t *testing.T, tr transport.Transport, tune func(*Config)) {
	const nodes, target = 10, 4
	c := &cluster{t: t}
	t.Cleanup(c.close)
	nets := make([]*crashNet, nodes)
	for i := range nodes {
		nets[i] = &crashNet{Transport: tr}
		more := newCluster(t, nets[i], 1, func(cfg *Config) {
			cfg.Name = fmt.Sprintf("n%d", i)
			if i > 0 {
				cfg.Join = []string{c.nodes[0].Addr()}
			}
			if tune != nil {
				tune(cfg)
			}
		})
		c.nodes = append(c.nodes, more.nodes...)
		c.recs = append(c.recs, more.recs...)
	}
	all := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	waitDegree(t, c, all[1:], min(target, nodes-1))
	waitConnected(t, c, all, 1, waitLimit(t))
	sendAndCheck(t, c, 5, all, "hello, everyone")

	// Three nodes die abruptly, the bootstrap node among them.
	dead := []int{0, 3, 7}
	for _, i := range dead {
		nets[i].crash(c.nodes[i])
	}
	// Wait for the repair itself: right after the crash a survivor may
	// still list dead peers it has not noticed yet, so counting its peers
	// is not enough. With at least 4 live peers each, 7 nodes are
	// connected (a part of the graph would need 5 nodes, two need 10);
	// check connectivity anyway.
	survivors := []int{1, 2, 4, 5, 6, 8, 9}
	waitConnected(t, c, survivors, min(target, len(survivors)-1), waitLimit(t))
	sendAndCheck(t, c, 2, survivors, "still here")

	// n1's table shows what it learned: the bootstrap address it was given,
	// every live peer as connected, and no dead node as connected, once n1
	// has noticed every dead peer.
	deadID := map[string]bool{}
	for _, i := range dead {
		deadID[c.nodes[i].ID()] = true
	}
	c.recs[1].waitFor(t, "n1 to notice its dead peers", func() bool {
		for _, p := range c.nodes[1].Peers() {
			if deadID[p.ID] {
				return false
			}
		}
		return true
	})
	known := map[string]KnownAddr{}
	for _, k := range c.nodes[1].Known() {
		known[k.Addr] = k
	}
	if k, ok := known[c.nodes[0].Addr()]; !ok || k.Source != "join" {
		t.Errorf("n1 knows the bootstrap address as %+v (known: %v), want it from join", k, ok)
	}
	for _, p := range c.nodes[1].Peers() {
		if k := known[p.Addr]; k.State != "connected" {
			t.Errorf("n1's peer %s at %s is %q in its table, want connected", p.Name, p.Addr, k.State)
		}
	}
	for _, i := range dead {
		if k, ok := known[c.nodes[i].Addr()]; ok && k.State == "connected" {
			t.Errorf("n1 lists the dead n%d (%s) as connected", i, k.Addr)
		}
	}
	if len(known) < target+1 {
		t.Errorf("n1 knows %d addresses, want at least %d: the bootstrap and its peers", len(known), target+1)
	}
}

// Two groups of 5 that each reached the target degree (each a complete
// graph: 4 peers per node) and know each other's addresses become one
// connected graph: the shuffle dials a known address now and then even at
// target, and the degree stays at the target. Time is the subject (the
// shuffle period), so this runs on the fake clock of a synctest bubble,
// with the default join interval and backoff.
func TestSplitGroupsFindEachOther(t *testing.T) {
	onFakeClock(t, func(t *testing.T) {
		const target = 4
		interval := DefaultConfig().JoinInterval
		c := newCluster(t, memnet.New(0), 10, func(cfg *Config) { cfg.TargetPeers = target })
		// Every node dials at least one of its group (n4 dials n0), so each
		// has a link of its own choice and none dials across to get one.
		var groups [][2]int
		for _, off := range []int{0, 5} {
			for _, e := range complete(5) {
				if e == [2]int{0, 4} {
					e = [2]int{4, 0}
				}
				groups = append(groups, [2]int{e[0] + off, e[1] + off})
			}
		}
		c.link(groups)
		for i, nd := range c.nodes {
			for j := range c.nodes {
				if (i < 5) != (j < 5) {
					nd.learn(c.nodes[j].Addr(), "", "", "test")
				}
			}
			nd.startJoining()
		}
		all := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
		// Two groups, each at its target: without the shuffle nothing
		// ever dials across.
		if why := connectedWithDegree(c, all, target); why == "" {
			t.Fatal("the two groups are connected before any shuffle")
		}
		// Links keep changing (shuffles, drops), so look at settled states
		// only: after synctest.Wait, every hang-up under way has finished.
		start := time.Now()
		for {
			synctest.Wait()
			why := connectedWithDegree(c, all, target)
			if why == "" {
				break
			}
			if time.Since(start) > 20*shuffleEvery*interval {
				t.Fatalf("after %v: %s", time.Since(start), why)
			}
			time.Sleep(interval)
		}
		// The degree stays bounded: a shuffle that adds a link drops one.
		var sum int
		for _, nd := range c.nodes {
			sum += len(nd.Peers())
		}
		if mean := float64(sum) / 10; mean > target+1 {
			t.Errorf("mean degree %.1f after the groups merged, want at most %d", mean, target+1)
		}
		sendAndCheck(t, c, 0, all, "across the groups")
	})
}

// A shuffle dial at target replaces a peer: the node connects to a known
// address it was not connected to and drops another peer, so its degree
// stays at the target.
func TestShuffleKeepsTheDegree(t *testing.T) {
	onFakeClock(t, func(t *testing.T) {
		const target = 2
		c := newCluster(t, memnet.New(0), 4, func(cfg *Config) { cfg.TargetPeers = target })
		c.link([][2]int{{0, 1}, {0, 2}})
		n0, n3 := c.nodes[0], c.nodes[3]
		n0.learn(n3.Addr(), "", "", "test")
		start := time.Now()
		n0.startJoining()
		has3 := func() bool {
			for _, p := range n0.Peers() {
				if p.ID == n3.ID() {
					return true
				}
			}
			return false
		}
		c.recs[0].waitFor(t, "a shuffle dial to n3", has3)
		if took, most := time.Since(start), 2*shuffleEvery*n0.Config().JoinInterval; took > most {
			t.Errorf("the shuffle dial came after %v, want at most %v", took, most)
		}
		synctest.Wait() // the drop that follows, if any, has finished
		if got := len(n0.Peers()); got != target || !has3() {
			t.Fatalf("after the shuffle n0 has %d peers (n3 among them: %v), want %d with n3", got, has3(), target)
		}
	})
}

// A joined node above its target (peers dialed it) drops one peer per
// shuffle period until it is at its target, so the degree stays near the
// target rather than drifting up to MaxPeers.
func TestDegreeShedsToTarget(t *testing.T) {
	onFakeClock(t, func(t *testing.T) {
		const target = 2
		interval := DefaultConfig().JoinInterval
		c := newCluster(t, memnet.New(0), 6, func(cfg *Config) { cfg.TargetPeers = target })
		for i := 1; i <= 5; i++ {
			time.Sleep(time.Millisecond) // so n5's link is the newest
			c.link([][2]int{{i, 0}})
		}
		start := time.Now()
		c.nodes[0].startJoining()
		hub := c.nodes[0]
		c.recs[0].waitFor(t, "the hub at its target", func() bool { return len(hub.Peers()) == target })
		// 3 peers to drop, one per period (with the loop's 20% jitter), and
		// one more: the hub, all of whose peers dialed it, dials one peer
		// itself (an outbound link of its own choice), the one it dropped.
		if took, most := time.Since(start), 5*shuffleEvery*interval; took > most {
			t.Errorf("the hub took %v to drop to its target, want at most %v", took, most)
		}
		c.recs[0].mu.Lock()
		downs := append([]Event(nil), c.recs[0].downs...)
		c.recs[0].mu.Unlock()
		for _, ev := range downs {
			if ev.Reason != "shuffle: dropped to keep 2 peers" {
				t.Errorf("peer %s down: %q", ev.Peer.Name, ev.Reason)
			}
		}
		// The hub, all of whose peers had dialed it, keeps a link it chose
		// itself: part of its degree is outbound.
		outbound := 0
		for _, p := range hub.Peers() {
			if !p.Inbound {
				outbound++
			}
		}
		if outbound != 1 {
			t.Errorf("the hub keeps %d outbound links, want 1", outbound)
		}
		// It stays there: the dropped nodes do not join, nothing else
		// changes.
		time.Sleep(3 * shuffleEvery * interval)
		synctest.Wait()
		if got := len(hub.Peers()); got != target {
			t.Errorf("the hub has %d peers, want %d", got, target)
		}
	})
}

// Two nodes that dial each other at the same moment end with one
// connection, the same one at both ends.
func TestCrossingDials(t *testing.T) {
	for round := 0; round < 20; round++ {
		c := newCluster(t, memnet.New(0), 2, nil)
		errs := make(chan error, 2)
		for i := range 2 {
			go func() {
				_, err := c.nodes[i].Connect(context.Background(), c.nodes[1-i].Addr())
				errs <- err
			}()
		}
		<-errs
		<-errs
		// Whatever the interleaving, both end with exactly one live peer:
		// send a message each way to be sure the link works.
		for i := range 2 {
			nd := c.nodes[i]
			c.recs[i].waitFor(t, "one peer", func() bool { return len(nd.Peers()) == 1 })
		}
		sendAndCheck(t, c, 0, []int{0, 1}, "over the kept link")
		sendAndCheck(t, c, 1, []int{0, 1}, "and back")
		c.close()
	}
}

// A full node names other addresses before it refuses, so a joining node
// finds a place elsewhere.
func TestFullNodeSuggestsOthers(t *testing.T) {
	tr := memnet.New(0)
	c := newCluster(t, tr, 2, func(cfg *Config) { cfg.MaxPeers = 1; cfg.Unsigned = true })
	c.link([][2]int{{1, 0}})
	raw := dialRaw(t, tr, c.nodes[0].Addr())
	raw.send("HELLO 1 00000000000000ee late -")
	raw.expect("PEERS " + c.nodes[1].Addr())
	raw.expect("ERR too many peers")
}

func TestGetPeersIsAnswered(t *testing.T) {
	tr := memnet.New(0)
	c := newCluster(t, tr, 2, unsignedNodes)
	c.link([][2]int{{1, 0}})
	raw := dialRaw(t, tr, c.nodes[0].Addr())
	raw.handshake("00000000000000ee", "asker")
	raw.send("GETPEERS")
	raw.expect("PEERS " + c.nodes[1].Addr())
	raw.send("PEERS 127.0.0.1:9 [::1]:10")
	raw.send("MSG 00000000000000ee-1 1 asker after the PEERS frame")
	c.recs[0].waitMessages(t, 1) // frames are handled in order
	known := map[string]string{}
	for _, k := range c.nodes[0].Known() {
		known[k.Addr] = k.Source
	}
	if known["127.0.0.1:9"] != "asker" || known["[::1]:10"] != "asker" {
		t.Fatalf("known addresses %v, want the two from asker's PEERS", known)
	}
}

func TestJoinDuringClose(t *testing.T) {
	for round := 0; round < 50; round++ {
		tr := memnet.New(0)
		boot := newCluster(t, tr, 1, nil)
		c := newCluster(t, tr, 1, joinConfig(""))
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.nodes[0].Join(context.Background(), boot.nodes[0].Addr())
		}()
		c.close()
		<-done
	}
}

// Auto-join redials an address that fails with a backoff that doubles
// from DialBackoff up to DialBackoffMax (with up to 50% jitter), at the
// next JoinInterval tick after it. On the fake clock, with the defaults.
func TestJoinRedialsWithBackoff(t *testing.T) {
	onFakeClock(t, func(t *testing.T) {
		const nowhere = "127.77.0.1:404" // nothing listens there
		c := newCluster(t, memnet.New(0), 1, func(cfg *Config) { cfg.Join = []string{nowhere} })
		cfg := c.nodes[0].Config()
		r := c.recs[0]
		const dials = 9 // backoffs of 1, 2, 4 ... 64 s: the last two at the bound
		r.waitFor(t, fmt.Sprintf("%d dials", dials), func() bool { return len(r.dials) >= dials })
		r.mu.Lock()
		at := append([]time.Time(nil), r.dials...)
		r.mu.Unlock()
		base := cfg.DialBackoff
		for i := 1; i < dials; i++ {
			gap := at[i].Sub(at[i-1])
			lo, hi := base, base*3/2+cfg.JoinInterval*11/10
			if gap < lo || gap > hi {
				t.Errorf("dial %d came %v after the one before, want from %v to %v", i+1, gap, lo, hi)
			}
			base = min(2*base, cfg.DialBackoffMax)
		}
	})
}
