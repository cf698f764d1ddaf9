package node

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// treeNodes puts a cluster's nodes in tree mode with a graft timeout long
// enough that no GRAFT happens by chance on a loaded machine: the tests
// that want one cut a link.
func treeNodes(cfg *Config) {
	cfg.Mode = "tree"
	cfg.GraftTimeout = time.Minute
}

// settle waits until every payload copy and PRUNE sent in the cluster has
// arrived and been handled: there is no event for quiet, so it checks the
// counters each millisecond, up to the wait limit.
func (c *cluster) settle() {
	c.t.Helper()
	deadline := time.Now().Add(waitLimit(c.t))
	for {
		var out, in, prunesOut, prunesIn uint64
		for _, nd := range c.nodes {
			s := nd.Stats()
			out += s.MsgsOut
			in += s.Delivered + s.Duplicates
			prunesOut += s.PrunesOut
			prunesIn += s.PrunesIn
		}
		if out == in && prunesOut == prunesIn {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("not settled: %d message copies sent, %d received; %d PRUNE sent, %d received", out, in, prunesOut, prunesIn)
		}
		time.Sleep(time.Millisecond)
	}
}

// sendFromN0 sends n0's message number i (from 0), records it in sentBy
// and waits until every other node has all of n0's messages so far.
func (c *cluster) sendFromN0(t *testing.T, sentBy map[string]int, i int) {
	t.Helper()
	s, err := c.nodes[0].Send(fmt.Sprintf("message %d", i))
	if err != nil {
		t.Fatal(err)
	}
	sentBy[s.ID] = 0
	for _, r := range c.recs[1:] {
		r.waitMessages(t, i+1)
	}
}

// payloadSent is the message copies the cluster has queued so far.
func (c *cluster) payloadSent() uint64 {
	var n uint64
	for _, nd := range c.nodes {
		n += nd.Stats().MsgsOut
	}
	return n
}

// TestTreeModeSettlesToATree: on every topology, the first message is a
// flood (at most), the duplicates it makes PRUNE their links, and from the second
// message on a message costs N-1 sends, the tutorial's minimum, with IHAVE
// on the lazy links; each message is delivered exactly once. On the ring
// of 5 exactly one link is lazy, at both ends.
func TestTreeModeSettlesToATree(t *testing.T) {
	for _, topo := range floodRuns() {
		t.Run(topo.name, func(t *testing.T) {
			c := newCluster(t, topo.tr(), topo.nodes, treeNodes)
			c.link(topo.edges)
			sentBy := map[string]int{}
			for i := range 4 {
				before := c.payloadSent()
				c.sendFromN0(t, sentBy, i)
				c.settle()
				sends := c.payloadSent() - before
				// The first message floods; a copy that comes in while the
				// node is forwarding its first one may already have pruned
				// its sender, which then is not sent a copy it has.
				if flood := uint64(2*len(topo.edges) - (topo.nodes - 1)); i == 0 && (sends > flood || sends < uint64(topo.nodes-1)) {
					t.Errorf("first message: %d sends, want at most a flood's 2E-(N-1) = %d", sends, flood)
				}
				if i > 0 && sends != uint64(topo.nodes-1) {
					t.Errorf("message %d: %d sends, want N-1 = %d", i, sends, topo.nodes-1)
				}
			}
			if topo.name == "mem/ring5" {
				lazy := 0
				for _, nd := range c.nodes {
					for _, p := range nd.Peers() {
						if !p.Tree || p.Origins != 1 {
							t.Fatalf("%s's link to %s: tree %v, %d origins; want a tree link keeping one origin", nd.Name(), p.Name, p.Tree, p.Origins)
						}
						lazy += p.LazyOrigins
					}
				}
				if lazy != 2 {
					t.Errorf("%d lazy link ends, want 2 (one link, both ends)", lazy)
				}
			}
			c.close()
			checkExactlyOnce(t, c, sentBy)
		})
	}
}

// TestTreeModeBurst: bursts from two senders at once, more than a send
// queue holds, in tree mode: every node gets every message exactly once,
// while the tree settles under load.
func TestTreeModeBurst(t *testing.T) {
	t.Parallel()
	const each = 600
	for _, topo := range floodRuns() {
		t.Run(topo.name, func(t *testing.T) {
			// The default graft timeout: under a burst from two senders the
			// trees change while messages are on their way, and a node may
			// hear of a message only by IHAVE; GRAFT is what then brings it.
			c := newCluster(t, topo.tr(), topo.nodes, func(cfg *Config) { cfg.Mode, cfg.QueueFrames = "tree", 256 })
			c.link(topo.edges)
			senders := []int{0, topo.nodes - 1}
			sent := make([][]string, len(senders))
			done := make(chan int)
			for k, s := range senders {
				go func() {
					for i := range each {
						m, err := c.nodes[s].Send(fmt.Sprintf("from n%d #%d", s, i))
						if err != nil {
							t.Errorf("send: %v", err)
							break
						}
						sent[k] = append(sent[k], m.ID)
					}
					done <- k
				}()
			}
			<-done
			<-done
			for i, r := range c.recs {
				want := 2 * each
				if slices.Contains(senders, i) {
					want = each
				}
				r.waitMessages(t, want)
			}
			c.close()
			sentBy := map[string]int{}
			for k, ids := range sent {
				for _, id := range ids {
					sentBy[id] = senders[k]
				}
			}
			checkExactlyOnce(t, c, sentBy)
			var sends, grafts, prunes uint64
			for _, nd := range c.nodes {
				s := nd.Stats()
				sends += s.MsgsOut
				grafts += s.GraftsOut
				prunes += s.PrunesOut
			}
			t.Logf("%d messages, %d copies sent: %.2f per message (a flood sends %d, a tree %d); %d PRUNE, %d GRAFT",
				2*each, sends, float64(sends)/float64(2*each), 2*len(topo.edges)-(topo.nodes-1), topo.nodes-1, prunes, grafts)
		})
	}
}

// TestTreeModeNextToAFloodNode: a flood node among tree nodes gets
// everything and its messages reach everyone, exactly once; the tree
// nodes treat its links as always eager and send it no tree frame.
func TestTreeModeNextToAFloodNode(t *testing.T) {
	tr := transports[0].make()
	c := newCluster(t, tr, 4, func(cfg *Config) {
		if cfg.Name != "n2" {
			treeNodes(cfg)
		}
	})
	c.link(ring(4))
	sentBy := map[string]int{}
	for i := range 6 {
		from := []int{0, 2}[i%2]
		s, err := c.nodes[from].Send(fmt.Sprintf("message %d", i))
		if err != nil {
			t.Fatal(err)
		}
		sentBy[s.ID] = from
		for j, r := range c.recs {
			r.waitMessages(t, i+1-countFrom(sentBy, j))
		}
		c.settle()
	}
	for _, p := range c.nodes[1].Peers() {
		if p.Name == "n2" && p.Tree || p.Name == "n0" && !p.Tree {
			t.Errorf("n1's link to %s: tree %v", p.Name, p.Tree)
		}
	}
	if s := c.nodes[2].Stats(); s.IHaveIDsIn+s.GraftsIn+s.PrunesIn != 0 || s.ControlDropped != 0 {
		t.Errorf("the flood node got tree frames: %+v", s)
	}
	c.close()
	checkExactlyOnce(t, c, sentBy)
}

// countFrom is how many of sentBy node i sent itself.
func countFrom(sentBy map[string]int, i int) int {
	n := 0
	for _, from := range sentBy {
		if from == i {
			n++
		}
	}
	return n
}

// TestTreeModeGraftRepairsACutLink: once the ring has settled to a tree,
// an eager link is cut; the nodes behind it hear of the next messages
// only by IHAVE, GRAFT the lazy link, and get every message exactly once.
func TestTreeModeGraftRepairsACutLink(t *testing.T) {
	tr := transports[0].make()
	c := newCluster(t, tr, 5, func(cfg *Config) { cfg.Mode, cfg.GraftTimeout = "tree", 20*time.Millisecond })
	c.link(ring(5))
	sentBy := map[string]int{}
	send := func(i int) { c.sendFromN0(t, sentBy, i) }
	send(0)
	c.settle()
	// Cut one of n0's eager links: the nodes below it now hear of n0's
	// messages only by IHAVE over the ring's lazy link.
	cut := ""
	for _, p := range c.nodes[0].Peers() {
		if p.LazyOrigins == 0 {
			cut = p.Name
			break
		}
	}
	if err := c.nodes[0].Disconnect(cut); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		send(i)
	}
	c.close()
	checkExactlyOnce(t, c, sentBy)
	var grafts uint64
	for _, nd := range c.nodes {
		grafts += nd.Stats().GraftsOut
	}
	if grafts == 0 {
		t.Errorf("no GRAFT sent: the cut-off nodes must have asked for the messages")
	}
}
