package script

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
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
	start := func(name string) (*io.PipeWriter, *json.Decoder, string) {
		pr, pw := io.Pipe()
		_, out, addr := startP2P(t, bin, dir, name, pr, "-ephemeral")
		t.Cleanup(func() { pr.CloseWithError(io.ErrClosedPipe); pw.Close() })
		return pw, json.NewDecoder(out), addr
	}
	// next reads events of dec until one of kind event (an error fails).
	next := func(name string, dec *json.Decoder, event string) map[string]any {
		for {
			var ev map[string]any
			if err := dec.Decode(&ev); err != nil {
				t.Fatalf("%s: output ended waiting for %s: %v", name, event, err)
			}
			if ev["event"] == "error" {
				t.Fatalf("%s: %v", name, ev["error"])
			}
			if ev["event"] == event {
				return ev
			}
		}
	}
	aIn, aOut, _ := start("a")
	bIn, bOut, bAddr := start("b")
	fmt.Fprintf(aIn, "connect %s\n", bAddr)
	next("a", aOut, "connect")

	// c comes and goes.
	cIn, cOut, _ := start("c")
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
	c2In, c2Out, _ := start("c2")
	began := time.Now()
	fmt.Fprintf(c2In, "connect %s\nwait -t 2m messages %d\nstats\n", bAddr, burst)
	got, marked := 0, 0
	var caught map[string]any
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
	t.Logf("c2 got %d messages by catch-up in %v after its connect", got, took.Round(time.Millisecond))
}
