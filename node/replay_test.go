package node

import (
	"fmt"
	"testing"

	"github.com/p2p-chat/p2p/node/transport/memnet"
)

// With Replay on, a peer of an unsigned network that connects after a
// message passed still gets it, once; with it off (the default, as in the
// tutorial) it does not. (A signed network has catch-up instead:
// TestCatchupToNewPeer.)
func TestReplayToNewPeer(t *testing.T) {
	for _, replay := range []int{0, 10} {
		t.Run(fmt.Sprintf("replay=%d", replay), func(t *testing.T) {
			c := newCluster(t, memnet.New(0), 3, func(cfg *Config) { cfg.Replay, cfg.Unsigned = replay, true })
			c.link([][2]int{{0, 1}})
			for i := 0; i < 15; i++ {
				if _, err := c.nodes[0].Send(fmt.Sprintf("before %d", i)); err != nil {
					t.Fatal(err)
				}
			}
			c.recs[1].waitMessages(t, 15)
			c.link([][2]int{{2, 1}})
			last, err := c.nodes[0].Send("after")
			if err != nil {
				t.Fatal(err)
			}
			// "after" is forwarded by n1 behind anything it replayed to n2.
			c.recs[2].waitFor(t, "the message sent after n2 joined", func() bool {
				return c.recs[2].count[last.ID] > 0
			})
			c.close()
			msgs := c.recs[2].messages()
			if want := replay + 1; len(msgs) != want {
				t.Fatalf("n2 delivered %d messages, want %d (the last %d replayed, then after)", len(msgs), want, replay)
			}
			if replay > 0 && msgs[0].Text != "before 5" {
				t.Fatalf("first replayed message is %q, want the oldest of the last 10, before 5", msgs[0].Text)
			}
		})
	}
}

// A replayed message that the receiver already delivered is not delivered
// again, even when the receiver's seen set has forgotten its id: here the
// link drops and comes back after n1's table of 100 ids was flushed by
// 1,000 newer ones.
func TestReplayAfterTheSeenSetForgot(t *testing.T) {
	const count = 1000
	c := newCluster(t, memnet.New(0), 2, func(cfg *Config) {
		cfg.Unsigned = true
		if cfg.Name == "n0" {
			cfg.Replay = count
		} else {
			cfg.SeenMax = 100
		}
	})
	c.link([][2]int{{0, 1}})
	for i := 0; i < count; i++ {
		if _, err := c.nodes[0].Send(fmt.Sprintf("m %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	c.recs[1].waitMessages(t, count)
	if n := c.nodes[1].Stats().Seen; n > 100 {
		t.Fatalf("n1 remembers %d ids, more than its SeenMax of 100", n)
	}
	if err := c.nodes[1].Disconnect("n0"); err != nil {
		t.Fatal(err)
	}
	c.recs[0].waitDown(t, "")
	c.link([][2]int{{1, 0}})
	last, err := c.nodes[0].Send("after")
	if err != nil {
		t.Fatal(err)
	}
	// "after" is queued behind the replay: once it is in, the replay is.
	c.recs[1].waitFor(t, "the message sent after the link came back", func() bool {
		return c.recs[1].count[last.ID] > 0
	})
	c.close()
	if got := len(c.recs[1].messages()); got != count+1 {
		t.Errorf("n1 delivered %d messages, want %d: the replay was delivered again", got, count+1)
	}
	if d := c.nodes[1].Stats().Duplicates; d < count {
		t.Errorf("n1 counted %d duplicates, want the %d replayed", d, count)
	}
}
