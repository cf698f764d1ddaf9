package node

import (
	"fmt"
	"testing"
	"time"

	"github.com/p2p-chat/p2p/node/transport/memnet"
)

// onlyLinkUpSync leaves out the periodic summaries, so the tests see the
// ones sent when a link comes up.
func onlyLinkUpSync(cfg *Config) { cfg.SyncEvery = time.Hour }

// TestCatchupToNewPeer: a node that connects after messages passed gets
// every one of them by catch-up, once, marked as catch-up, then the next
// live one; and says how many came from how many origins.
func TestCatchupToNewPeer(t *testing.T) {
	c := newCluster(t, memnet.New(0), 3, onlyLinkUpSync)
	c.link([][2]int{{0, 1}})
	for i := range 15 {
		from := i % 2 // two origins
		if _, err := c.nodes[from].Send(fmt.Sprintf("before %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	c.recs[1].waitMessages(t, 8) // n0's 0, 2, ..., 14: all of them, or the last may still be on its way when n2 links
	c.recs[0].waitMessages(t, 7) // n1's 1, 3, ..., 13
	c.link([][2]int{{2, 1}})
	c.recs[2].waitMessages(t, 15)
	last, err := c.nodes[0].Send("after")
	if err != nil {
		t.Fatal(err)
	}
	c.recs[2].waitFor(t, "the live message", func() bool { return c.recs[2].count[last.ID] > 0 })
	var ev Event
	c.recs[2].waitFor(t, "the catch-up event", func() bool {
		if len(c.recs[2].catchups) > 0 {
			ev = c.recs[2].catchups[0]
			return true
		}
		return false
	})
	c.close()
	msgs := c.recs[2].messages()
	if len(msgs) != 16 {
		t.Fatalf("n2 delivered %d messages, want 15 by catch-up and 1 live", len(msgs))
	}
	for i, m := range msgs[:15] {
		if !m.Catchup || m.Time.IsZero() || m.From != "n1" {
			t.Fatalf("message %d: %+v, want it marked as catch-up, with its time, from n1", i, m)
		}
	}
	if msgs[15].Catchup {
		t.Fatalf("the live message is marked as catch-up")
	}
	if ev.CaughtUp != 15 || ev.CaughtUpOrigins != 2 || ev.Peer.Name != "n1" {
		t.Fatalf("catch-up event %+v, want 15 messages from 2 origins, from n1", ev)
	}
	if s := c.nodes[1].Stats(); s.CatchupOut != 15 {
		t.Fatalf("n1 sent %d by catch-up, want 15", s.CatchupOut)
	}
}

// TestCatchupAfterAPartition: two halves, each a pair, linked by one
// link; the link is cut, both halves send, the link comes back: every
// node gets every message exactly once (the two ends catch up, then flood
// what was new to them into their half).
func TestCatchupAfterAPartition(t *testing.T) {
	c := newCluster(t, memnet.New(0), 4, onlyLinkUpSync)
	c.link([][2]int{{0, 1}, {2, 3}, {1, 2}})
	if err := c.nodes[1].Disconnect("n2"); err != nil {
		t.Fatal(err)
	}
	sentBy := map[string]int{}
	for i := range 40 {
		from := []int{0, 3}[i%2]
		s, err := c.nodes[from].Send(fmt.Sprintf("while apart %d", i))
		if err != nil {
			t.Fatal(err)
		}
		sentBy[s.ID] = from
	}
	c.recs[1].waitMessages(t, 20)
	c.recs[2].waitMessages(t, 20)
	c.link([][2]int{{1, 2}})
	for i, r := range c.recs {
		r.waitMessages(t, 40-countFrom(sentBy, i))
	}
	c.close()
	var out uint64
	for _, nd := range c.nodes {
		out += nd.Stats().CatchupOut
	}
	if out != 40 {
		t.Errorf("%d messages sent by catch-up, want 40: each half's 20 once, across the healed link", out)
	}
	checkExactlyOnce(t, c, sentBy)
}
