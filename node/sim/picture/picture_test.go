package picture

import (
	"bytes"
	"fmt"
	"image"
	"image/gif"
	"strings"
	"testing"
	"time"

	"github.com/p2p-chat/p2p/node/sim"
)

func traced(t *testing.T, topology string, n, d, messages int, mode string) Run {
	t.Helper()
	tr := &sim.Trace{}
	r, err := sim.RunVirtual(sim.VirtualConfig{Config: sim.Config{Nodes: n, Degree: d, Topology: topology, Messages: messages, Senders: 1, Seed: 1, TextBytes: 32, Timeout: time.Minute},
		Latency: 10 * time.Millisecond, Jitter: 5 * time.Millisecond, Mode: mode, Trace: tr})
	if err != nil {
		t.Fatal(err)
	}
	return Run{Result: r, Trace: tr}
}

// TestGIFOfA30NodeFloodIsSmallAndShowsEveryHop: the goal (under
// 1 MB for 30 nodes), and every copy is on its way in at least one frame.
func TestGIFOfA30NodeFloodIsSmallAndShowsEveryHop(t *testing.T) {
	for _, c := range []struct {
		topology string
		d        int
	}{{"ring", 2}, {"random", 4}, {"complete", 29}} {
		run := traced(t, c.topology, 30, c.d, 1, "flood")
		var buf bytes.Buffer
		if err := WriteGIF(&buf, []Run{run}, []string{"flood"}, GIFOptions{}); err != nil {
			t.Fatal(err)
		}
		size := buf.Len()
		g, err := gif.DecodeAll(&buf)
		if err != nil {
			t.Fatal(err)
		}
		p := newPanel(run, "flood", image.Point{}, 360)
		times := frameTimes([]*panel{p}, 400)
		t.Logf("%s: %d bytes, %d frames", c.topology, size, len(g.Image))
		if size >= 1<<20 {
			t.Errorf("%s: %d bytes, goal under 1 MB", c.topology, size)
		}
		if len(g.Image) != len(times) {
			t.Errorf("%s: %d frames, want %d", c.topology, len(g.Image), len(times))
		}
		for _, f := range p.frames {
			shown := false
			for _, ft := range times {
				shown = shown || f.Sent-p.start < ft && ft < f.At-p.start
			}
			if !shown {
				t.Errorf("%s: the copy %d->%d (%v to %v) is on its way in no frame", c.topology, f.From, f.To, f.Sent, f.At)
			}
		}
	}
}

// TestSVGCountsMatchTheRun: the still's counts are the run's, flood and
// tree side by side.
func TestSVGCountsMatchTheRun(t *testing.T) {
	flood, tree := traced(t, "random", 40, 4, 8, "flood"), traced(t, "random", 40, 4, 8, "tree")
	var buf bytes.Buffer
	if err := WriteSVG(&buf, []Run{flood, tree}, []string{"flood", "tree"}, 0); err != nil {
		t.Fatal(err)
	}
	svg := buf.String()
	for _, run := range []Run{flood, tree} {
		var sent, dup, control int
		for _, f := range run.Trace.Frames {
			if int(f.Msg) != run.Result.Messages-1 {
				continue
			}
			switch {
			case f.Kind != sim.KindPayload:
				control++
			case f.Fate == sim.First:
				sent++
			case f.Fate == sim.Duplicate:
				sent++
				dup++
			}
		}
		want := fmt.Sprintf("sent %d, duplicates %d, control %d, lost 0", sent, dup, control)
		if !strings.Contains(svg, want) {
			t.Errorf("the SVG lacks %q", want)
		}
		if sent != run.Result.Nodes-1+dup {
			t.Errorf("sent %d, duplicates %d: the counts do not add up for %d nodes", sent, dup, run.Result.Nodes)
		}
	}
	if n := strings.Count(svg, "<circle"); n != 80 {
		t.Errorf("%d nodes drawn, want 80", n)
	}
}
