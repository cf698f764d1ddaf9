package script

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"testing"
)

// TestTreeModeBurstRealProcesses: five real p2p processes in tree mode,
// on a ring and on a complete graph; n0 sends a burst of 10,000 messages
// and every other node delivers each exactly once (`wait messages` with an
// exact count fails on one more), while the tree settles under the burst.
// It logs the copies sent per message against a flood's.
func TestTreeModeBurstRealProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs p2p processes")
	}
	// Known loss, open (issue 12): under load (the whole suite with -race on
	// two cores) one message of 10,003 sometimes never reaches a node of
	// the ring. Alone it passes; run it with P2P_TREE_BURST=1 until fixed.
	if os.Getenv("P2P_TREE_BURST") == "" {
		t.Skip("P2P_TREE_BURST=1 runs it: tree mode can still lose a message under load (issue 12, open)")
	}
	bin := buildP2P(t)
	const burst = 10_000
	for _, topo := range []struct {
		name  string
		edges [][2]int
	}{
		{"ring5", [][2]int{{1, 0}, {2, 1}, {3, 2}, {4, 3}, {0, 4}}},
		{"complete5", [][2]int{{1, 0}, {2, 0}, {2, 1}, {3, 0}, {3, 1}, {3, 2}, {4, 0}, {4, 1}, {4, 2}, {4, 3}}},
	} {
		t.Run(topo.name, func(t *testing.T) {
			dir := t.TempDir()
			const n = 5
			ins := make([]*io.PipeWriter, n)
			outs := make([]io.ReadCloser, n)
			addrs := make([]string, n)
			for i := range n {
				pr, pw := io.Pipe()
				ins[i] = pw
				_, outs[i], addrs[i] = startP2P(t, bin, dir, fmt.Sprintf("n%d", i), pr, "-ephemeral", "-mode", "tree")
				// Runs before startP2P's cleanup (cleanups run last first):
				// the process's stdin copier ends, so its Wait returns.
				t.Cleanup(func() { pr.CloseWithError(io.ErrClosedPipe); pw.Close() })
			}
			degree := make([]int, n)
			for _, e := range topo.edges {
				degree[e[0]]++
				degree[e[1]]++
				fmt.Fprintf(ins[e[0]], "connect %s\n", addrs[e[1]])
			}
			// Every node but n0 says it is linked; n0 waits for all four,
			// sends the burst, and every node then shows its counters.
			for i := 1; i < n; i++ {
				fmt.Fprintf(ins[i], "wait peers %d\nsend ready %d\nwait -t 60s messages %d\nstats\n", degree[i], i, burst+n-2)
			}
			go func() {
				w := bufio.NewWriter(ins[0])
				fmt.Fprintf(w, "wait peers %d\nwait -t 1m messages %d\n", degree[0], n-1)
				for k := range burst {
					fmt.Fprintf(w, "send burst %d\n", k)
				}
				fmt.Fprintf(w, "stats\n")
				w.Flush()
			}()
			type result struct {
				fromN0, distinct int
				stats            map[string]any
				err              string
			}
			results := make(chan result, n)
			for i := range n {
				go func() {
					r := result{}
					ids := map[string]int{}
					dec := json.NewDecoder(outs[i])
					for {
						var ev map[string]any
						if err := dec.Decode(&ev); err != nil {
							r.err = fmt.Sprintf("n%d: output ended before its stats: %v", i, err)
							break
						}
						switch ev["event"] {
						case "message":
							if ev["origin"] == "n0" {
								ids[ev["id"].(string)]++
								r.fromN0++
							}
						case "error":
							if ev["command"] != nil {
								r.err = fmt.Sprintf("n%d: %v", i, ev["error"]) // a command failed: wait timed out
							} else {
								t.Logf("n%d: %v", i, ev["error"]) // about a peer: the counts decide
							}
						case "stats":
							r.stats = ev
						}
						if r.stats != nil || r.err != "" {
							break
						}
					}
					r.distinct = len(ids)
					results <- r
				}()
			}
			var payload float64
			for range n {
				r := <-results
				if r.err != "" {
					t.Fatal(r.err)
				}
				payload += r.stats["payload_frames_out"].(float64)
				if r.stats["sent"].(float64) == burst {
					continue // n0
				}
				if r.fromN0 != burst || r.distinct != burst {
					t.Errorf("a node delivered %d messages of n0's, %d distinct; want %d, each once", r.fromN0, r.distinct, burst)
				}
			}
			for _, w := range ins {
				w.Close()
			}
			t.Logf("%s: %.2f copies sent per message (a flood sends %d, a tree %d)", topo.name, payload/burst, 2*len(topo.edges)-(n-1), n-1)
		})
	}
}
