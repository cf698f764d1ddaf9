package script

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/gif"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/p2p-chat/p2p/node/sim"
)

func runSimArgs(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = runSim(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestSimHelpGoesToStdout(t *testing.T) {
	code, out, errs := runSimArgs("-h")
	if code != exitOK || !strings.Contains(out, "usage: p2p sim") || !strings.Contains(out, "-topology") || errs != "" {
		t.Fatalf("p2p sim -h: exit %d, stdout %q, stderr %q; want 0, the usage on stdout, nothing on stderr", code, out, errs)
	}
}

// Bad flags exit 2 with the flag's name in the message, before any run.
func TestSimBadFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		flag string
	}{
		{[]string{"-n", "many"}, "-n"},
		{[]string{"-n", "1"}, "-n"},
		{[]string{"-bogus"}, "-bogus"},
		{[]string{"-topology", "star"}, "-topology"},
		{[]string{"-topology", "regular", "-n", "5", "-d", "3"}, "-d"},
		{[]string{"-messages", "0"}, "-messages"},
		{[]string{"-senders", "11"}, "-senders"},
		{[]string{"-timeout", "0s"}, "-timeout"},
		{[]string{"extra"}, "extra"},
		{[]string{"-engine", "quantum"}, "-engine"},
		{[]string{"-mode", "tree"}, "-mode"}, // the real engine has no tree
		{[]string{"-engine", "virtual", "-mode", "gossip"}, "-mode"},
		{[]string{"-engine", "virtual", "-kill", "0.9"}, "-kill"},
		{[]string{"-engine", "virtual", "-loss", "0.6"}, "-loss"},
		{[]string{"-loss", "0.1"}, "-loss"},
		{[]string{"-engine", "virtual", "-offline", "0.7"}, "-offline"},
		{[]string{"-partition"}, "-partition"},
		{[]string{"-engine", "real", "-gif", "x.gif"}, "-gif"},
		{[]string{"-n", "100000", "-d", "5", "-messages", "100", "-svg", "x.svg"}, "-messages"},
		{[]string{"-n", "6000", "-serve", "127.0.0.1:0"}, "-serve"},
		{[]string{"-n", "1000", "-d", "10", "-messages", "200", "-serve", "127.0.0.1:0"}, "-serve"},
		{[]string{"-serve", "127.0.0.1:0", "-gif", "x.gif"}, "-serve"},
		{[]string{"-serve", "127.0.0.1:0", "-json"}, "-serve"},
	} {
		code, out, errs := runSimArgs(tt.args...)
		if code != exitUsage || !strings.Contains(errs, tt.flag) || out != "" {
			t.Errorf("p2p sim %s: exit %d, stderr %q, stdout %q; want 2 and %s named on stderr",
				strings.Join(tt.args, " "), code, errs, out, tt.flag)
		}
	}
}

// A -dot path that cannot be written fails before the run: the run here
// would fail too (its timeout is 1ns), with another message.
func TestSimDotUnwritableFailsFirst(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "no-such-dir", "tree.dot")
	code, out, errs := runSimArgs("-timeout", "1ns", "-dot", bad)
	if code != exitFail || !strings.Contains(errs, "-dot") || strings.Contains(errs, "deliveries") || out != "" {
		t.Fatalf("exit %d, stderr %q, stdout %q; want 1, a -dot error and no run", code, errs, out)
	}
}

// A run that misses deliveries prints what it measured, then says how
// many were missing on stderr, and exits 1.
func TestSimMissingDeliveriesExit1(t *testing.T) {
	dot := filepath.Join(t.TempDir(), "tree.dot")
	code, out, errs := runSimArgs("-n", "30", "-messages", "200", "-timeout", "1ns", "-dot", dot)
	if code != exitFail || !strings.Contains(errs, "p2p sim: only ") || !strings.Contains(errs, "of 5800 deliveries after 1ns; ") {
		t.Fatalf("exit %d, stderr %q; want 1 and only X of 5800 deliveries", code, errs)
	}
	if !strings.Contains(out, "missing: ") || !strings.Contains(out, "links cut during the run: 0") {
		t.Errorf("the table does not show what is missing and what was cut:\n%s", out)
	}
	if data, err := os.ReadFile(dot); err != nil || !bytes.Contains(data, []byte("graph flood {")) {
		t.Errorf("the DOT file was not written: %v", err)
	}
}

// The JSON result reports cuts and missing deliveries, zero here.
func TestSimJSONReportsCuts(t *testing.T) {
	code, out, errs := runSimArgs("-n", "8", "-d", "3", "-messages", "5", "-json")
	if code != exitOK || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"links_cut", "peers_disconnected", "slow_peers", "deliveries_missing"} {
		if v, ok := got[key]; !ok || v != float64(0) {
			t.Errorf("%s = %v (present: %v), want 0", key, v, ok)
		}
	}
	if got["deliveries_expected"] != float64(35) {
		t.Errorf("deliveries_expected = %v, want 35", got["deliveries_expected"])
	}
}

// The table shows the links cut and why.
func TestSimTableShowsCuts(t *testing.T) {
	var buf bytes.Buffer
	printSim(&buf, &sim.Result{Topology: "random", Nodes: 50, LinksCut: 37, PeersDisconnected: 74, SlowPeers: 37,
		DisconnectReasons: map[string]int{"slow peer": 37, "closed by peer": 37}, Expected: 100, Missing: 4})
	for _, want := range []string{
		"links cut during the run: 37; peers disconnected: 74 (37 closed by peer, 37 slow peer); slow peers: 37\n",
		"missing: 4 of 100 deliveries\n",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
}

// Progress: on a terminal, every report rewrites one line and the end
// clears it; elsewhere nothing during the first second, then a line a
// second.
func TestSimProgress(t *testing.T) {
	at := func(d time.Duration) sim.Progress {
		return sim.Progress{Phase: "flooding", Nodes: 5, Links: 5, LinksWant: 5, Deliveries: 10, Expected: 40,
			LinksCut: 1, Elapsed: d}
	}
	var pipe bytes.Buffer
	p := &simProgress{w: &pipe}
	for _, d := range []time.Duration{0, 100 * time.Millisecond, 900 * time.Millisecond, 1100 * time.Millisecond,
		1500 * time.Millisecond, 2050 * time.Millisecond, 2900 * time.Millisecond} {
		p.update(at(d))
	}
	p.end()
	want := "p2p sim: 1.1 s, flooding: 5 nodes up, 5 of 5 links, 10 of 40 deliveries (25%), 1 links cut\n" +
		"p2p sim: 2.0 s, flooding: 5 nodes up, 5 of 5 links, 10 of 40 deliveries (25%), 1 links cut\n"
	if pipe.String() != want {
		t.Errorf("not a terminal:\n%q\nwant\n%q", pipe.String(), want)
	}

	var tty bytes.Buffer
	p = &simProgress{w: &tty, tty: true}
	p.update(at(0))
	p.update(at(200 * time.Millisecond))
	p.end()
	if got := tty.String(); strings.Count(got, "\r\x1b[K") != 3 || !strings.HasSuffix(got, "\r\x1b[K") ||
		!strings.Contains(got, "0.2 s, flooding") {
		t.Errorf("terminal: %q; want two lines rewritten in place, then cleared", got)
	}
}

// -engine virtual -mode both: flood and tree side by side on one graph.
func TestSimBothModes(t *testing.T) {
	code, out, errs := runSimArgs("-engine", "virtual", "-mode", "both", "-n", "60", "-d", "4", "-topology", "regular", "-messages", "20")
	if code != exitOK || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	for _, want := range []string{"flood      tree", "payload transmissions", "RMR after the warm-up", "missing deliveries         0         0", "N-1 = 59"} {
		if !strings.Contains(out, want) {
			t.Errorf("the table lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runSimArgs("-engine", "virtual", "-mode", "both", "-n", "60", "-d", "4", "-topology", "regular", "-messages", "20", "-json")
	var both map[string]sim.Result
	if code != exitOK || json.Unmarshal([]byte(out), &both) != nil || both["flood"].Mode != "flood" || both["tree"].Mode != "tree" ||
		both["tree"].Transmission >= both["flood"].Transmission {
		t.Fatalf("-json: exit %d, %q", code, out)
	}
}

// TestSimWritesPictures: -gif and -svg write a GIF that decodes and an SVG
// whose counts are the run's (-mode both: two panels).
func TestSimWritesPictures(t *testing.T) {
	dir := t.TempDir()
	gifPath, svgPath := filepath.Join(dir, "f.gif"), filepath.Join(dir, "f.svg")
	code, out, errs := runSimArgs("-topology", "ring", "-n", "30", "-messages", "1", "-mode", "both", "-json", "-gif", gifPath, "-svg", svgPath)
	if code != exitOK || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	var res map[string]sim.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(gifPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := gif.DecodeAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if w := g.Config.Width; w != 720 || len(g.Image) < 10 {
		t.Errorf("GIF %d wide with %d frames; want two panels of 360 and a frame for every step", w, len(g.Image))
	}
	svg, err := os.ReadFile(svgPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"flood", "tree"} {
		r := res[mode]
		want := fmt.Sprintf("sent %d, duplicates %d, control %d", r.Transmission, r.Duplicates, r.ControlTransmissions)
		if !strings.Contains(string(svg), want) {
			t.Errorf("%s: the SVG lacks %q", mode, want)
		}
	}
	if code, _, errs := runSimArgs("-n", "30", "-gif", filepath.Join(dir, "no", "such", "dir.gif")); code != exitFail || !strings.Contains(errs, "-gif") {
		t.Errorf("an unwritable -gif: exit %d, stderr %q", code, errs)
	}
}

func TestPagesAreOnLoopbackUnlessSaid(t *testing.T) {
	for in, want := range map[string]string{
		":8080": "127.0.0.1:8080", "8080": "127.0.0.1:8080", "0.0.0.0:8080": "0.0.0.0:8080",
		"[::1]:80": "[::1]:80", "127.0.0.2:9": "127.0.0.2:9", ":0": "127.0.0.1:0",
	} {
		if got := loopbackUnlessSaid(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
