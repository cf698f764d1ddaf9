package script

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"
)

// TestCatchupAfterBeingAway: three real processes in a chain a-b-c; c
// leaves, a sends a burst of 10,000 while it is away, and a new c
// connects to b: it gets every one of them by catch-up, exactly once
// (`wait messages` with an exact count fails on one more), and says so in
// one catchup event. It logs the time from c's connect to the last
// message.
func TestCatchupAfterBeingAway(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs p2p processes")
	}
	bin := buildP2P(t)
	dir := t.TempDir()
	const burst = 10_000
	start := func(name string, flags ...string) (*io.PipeWriter, *json.Decoder, string) {
		n := startNode(t, bin, dir, name, flags...)
		return n.in, n.out, n.addr
	}
	cData := filepath.Join(dir, "c-data") // c comes back as itself, with what it had
	next := func(name string, dec *json.Decoder, event string) map[string]any {
		return (&procNode{t: t, name: name, out: dec}).next(event)
	}
	aIn, aOut, _ := start("a")
	bIn, bOut, bAddr := start("b")
	fmt.Fprintf(aIn, "connect %s\n", bAddr)
	next("a", aOut, "connect")

	// c comes and goes.
	cIn, cOut, _ := start("c", "-data", cData)
	fmt.Fprintf(cIn, "connect %s\nwait peers 1\nquit\n", bAddr)
	next("c", cOut, "quit")
	fmt.Fprintf(bIn, "wait peers 1\necho c left\n")
	next("b", bOut, "echo")

	// a sends while c is away (its output is drained: a full stdout would
	// hold up its commands); b gets it all.
	go func() {
		for {
			var ev map[string]any
			if aOut.Decode(&ev) != nil {
				return
			}
		}
	}()
	go func() {
		w := bufio.NewWriter(aIn)
		for k := range burst {
			fmt.Fprintf(w, "send away %d\n", k)
		}
		w.Flush()
	}()
	fmt.Fprintf(bIn, "wait -t 2m messages %d\necho got them\n", burst)
	next("b", bOut, "echo")

	// A new c connects to b and catches up.
	c2In, c2Out, _ := start("c", "-data", cData)
	began := time.Now()
	fmt.Fprintf(c2In, "connect %s\nwait -t 2m messages %d\nstats\n", bAddr, burst)
	got, marked := 0, 0
	var caught, stats map[string]any
	for {
		var ev map[string]any
		if err := c2Out.Decode(&ev); err != nil {
			t.Fatalf("c2: output ended: %v", err)
		}
		switch ev["event"] {
		case "message":
			got++
			if ev["catchup"] == true {
				marked++
			}
		case "catchup":
			caught = ev
		case "error":
			t.Fatalf("c2: %v", ev["error"])
		}
		if ev["event"] == "stats" {
			stats = ev
			break
		}
	}
	took := time.Since(began)
	if got != burst || marked != burst {
		t.Fatalf("c2 delivered %d messages, %d marked catch-up; want %d, all marked", got, marked, burst)
	}
	if caught == nil {
		caught = next("c2", c2Out, "catchup")
	}
	if caught["messages"] != float64(burst) || caught["origins"] != float64(1) {
		t.Fatalf("catchup event %v, want %d messages from 1 origin", caught, burst)
	}
	if stats["duplicates"] != float64(0) || stats["catchup_in"] != float64(burst) {
		t.Fatalf("c2 stats %v: want no duplicates and %d by catch-up: each missed message crossed the link once", stats, burst)
	}
	t.Logf("c2 got %d messages by catch-up in %v after its connect", got, took.Round(time.Millisecond))
}

// procNode is a p2p process driven through pipes, for catch-up tests.
type procNode struct {
	t    *testing.T
	name string
	in   *io.PipeWriter
	out  *json.Decoder
	addr string
}

// startNode starts bin as node name (-ephemeral, -json) with its stdin a
// pipe the test writes commands to.
func startNode(t *testing.T, bin, dir, name string, flags ...string) *procNode {
	pr, pw := io.Pipe()
	_, out, addr := startP2P(t, bin, dir, name, pr, append([]string{"-ephemeral"}, flags...)...)
	// Runs before startP2P's cleanup: the process's stdin copier ends.
	t.Cleanup(func() { pr.CloseWithError(io.ErrClosedPipe); pw.Close() })
	return &procNode{t: t, name: name, in: pw, out: json.NewDecoder(out), addr: addr}
}

// do sends commands (one per line).
func (n *procNode) do(format string, args ...any) { fmt.Fprintf(n.in, format+"\n", args...) }

// drainUntilEcho reads (and drops) n's output from now on, so a full pipe
// never holds it up; the channel is closed at its first echo.
func (n *procNode) drainUntilEcho() <-chan struct{} {
	echoed := make(chan struct{})
	go func() {
		for seen := false; ; {
			var ev map[string]any
			if n.out.Decode(&ev) != nil {
				return
			}
			if ev["event"] == "echo" && !seen {
				seen = true
				close(echoed)
			}
		}
	}()
	return echoed
}

// next reads events until one of kind event; an error event fails.
func (n *procNode) next(event string) map[string]any {
	n.t.Helper()
	for {
		var ev map[string]any
		if err := n.out.Decode(&ev); err != nil {
			n.t.Fatalf("%s: output ended waiting for %s: %v", n.name, event, err)
		}
		if ev["event"] == "error" {
			n.t.Fatalf("%s: %v", n.name, ev["error"])
		}
		if ev["event"] == event {
			return ev
		}
	}
}

// TestCatchupAfterAPartitionRealProcesses: four processes, a-b and c-d
// joined by b-c; b cuts b-c, a and d each send 200 while the halves are
// apart, b links to c again: every node gets every message exactly once,
// the halves' by catch-up and flooding. Logs the time from the heal.
func TestCatchupAfterAPartitionRealProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs p2p processes")
	}
	bin := buildP2P(t)
	dir := t.TempDir()
	const each = 200 // a and d print a line per send, read only at the end: it must fit in their stdout pipes
	a, b, c, d := startNode(t, bin, dir, "a"), startNode(t, bin, dir, "b"), startNode(t, bin, dir, "c"), startNode(t, bin, dir, "d")
	a.do("connect %s", b.addr)
	a.next("connect")
	d.do("connect %s", c.addr)
	d.next("connect")
	b.do("connect %s\ndisconnect c\necho apart", c.addr)
	b.next("echo")
	c.do("wait peers 1\necho apart")
	c.next("echo")
	a.do("send from a 0")
	for k := 1; k < each; k++ {
		a.do("send from a %d", k)
		d.do("send from d %d", k-1)
	}
	d.do("send from d %d", each-1)
	b.do("wait -t 1m messages %d\necho half", each)
	b.next("echo")
	c.do("wait -t 1m messages %d\necho half", each)
	c.next("echo")
	healed := time.Now()
	b.do("connect %s", c.addr)
	for _, n := range []*procNode{a, b, c, d} {
		want := 2 * each
		if n == a || n == d {
			want = each // the other half's
		}
		n.do("wait -t 1m messages %d\necho all", want)
	}
	for _, n := range []*procNode{a, b, c, d} {
		n.next("echo")
	}
	t.Logf("every node had every message %v after the heal", time.Since(healed).Round(time.Millisecond))
}
