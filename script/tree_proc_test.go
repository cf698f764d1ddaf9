package script

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
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
				_, outs[i], addrs[i] = startP2P(t, bin, dir, fmt.Sprintf("n%d", i), pr, "-ephemeral", "-mode", "tree", "-keep-going")
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
			// Every node waits for its links and says so; only then does n0
			// send the burst (a message sent while the graph is still being
			// linked could miss a node: there is no catch-up yet).
			decs := make([]*json.Decoder, n)
			for i := range n {
				decs[i] = json.NewDecoder(outs[i])
				fmt.Fprintf(ins[i], "wait peers %d\necho linked\n", degree[i])
			}
			for i := range n {
				for {
					var ev map[string]any
					if err := decs[i].Decode(&ev); err != nil {
						t.Fatalf("n%d: output ended before it was linked: %v", i, err)
					}
					if ev["event"] == "echo" {
						break
					}
					if ev["event"] == "error" {
						t.Fatalf("n%d: %v", i, ev["error"])
					}
				}
			}
			for i := 1; i < n; i++ {
				fmt.Fprintf(ins[i], "wait -t 60s messages %d\nstats\n", burst)
			}
			go func() {
				w := bufio.NewWriter(ins[0])
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
					defer func() {
						if r.stats != nil {
							t.Logf("n%d: delivered %v duplicates %v grafts_out %v graft_answers %v graft_misses %v grafts_refused %v tree_lost %v ihaves_ignored %v prunes_out %v",
								i, r.stats["delivered"], r.stats["duplicates"], r.stats["grafts_out"], r.stats["graft_answers"],
								r.stats["graft_misses"], r.stats["grafts_refused"], r.stats["tree_lost"], r.stats["ihaves_ignored"], r.stats["prunes_out"])
						}
					}()
					ids := map[string]int{}
					dec := decs[i]
					for {
						var ev map[string]any
						if err := dec.Decode(&ev); err != nil {
							r.err += fmt.Sprintf("n%d: output ended before its stats: %v", i, err)
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
						if r.stats != nil {
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
