package node

import (
	"fmt"
	"testing"
)

// With Replay on, a peer that connects after a message passed still gets
// it, once; with it off (the default, as in the tutorial) it does not.
func TestReplayToNewPeer(t *testing.T) {
	for _, replay := range []int{0, 10} {
		t.Run(fmt.Sprintf("replay=%d", replay), func(t *testing.T) {
			c := newCluster(t, NewMemNetwork(0), 3, func(cfg *Config) { cfg.Replay = replay })
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
