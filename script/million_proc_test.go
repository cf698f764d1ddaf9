package script

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMillionThroughAStore: P2P_MILLION=N (e.g. 1000000) sends N messages
// from a to b, which runs with -data and the default bounds, and reports
// b's history, its store file's size and b's peak memory. Skipped unless
// asked for: it takes minutes.
func TestMillionThroughAStore(t *testing.T) {
	total, _ := strconv.Atoi(os.Getenv("P2P_MILLION"))
	if total <= 0 {
		t.Skip("P2P_MILLION=N runs it")
	}
	bin := buildP2P(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "b-data")
	a := startNode(t, bin, dir, "a")
	b := startNode(t, bin, dir, "b", "-data", data)
	go func() {
		for {
			var ev map[string]any
			if a.out.Decode(&ev) != nil {
				return
			}
		}
	}()
	b.do("connect %s\necho linked", a.addr)
	b.next("echo")
	start := time.Now()
	go func() {
		w := bufio.NewWriterSize(a.in, 1<<16)
		for k := range total {
			w.WriteString("send m " + strconv.Itoa(k) + "\n")
		}
		w.Flush()
	}()
	b.do("wait -t 30m messages %d\nstats", total)
	st := b.next("stats")
	took := time.Since(start)
	info, err := os.Stat(filepath.Join(data, "p2p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d messages in %v (%.0f/s); b's history %v messages; store file %.1f MiB; b's peak memory %s",
		total, took.Round(time.Second), float64(total)/took.Seconds(), st["history"], float64(info.Size())/(1<<20), peakOf(t, "b"))
}

// peakOf returns VmHWM of the newest p2p process named name, as
// /proc/PID/status says it (Linux).
func peakOf(t *testing.T, name string) string {
	ents, _ := os.ReadDir("/proc")
	best := "?"
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if !strings.Contains(string(cmd), "\x00-name\x00"+name+"\x00") {
			continue
		}
		st, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		for _, l := range strings.Split(string(st), "\n") {
			if strings.HasPrefix(l, "VmHWM:") {
				best = strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
			}
		}
	}
	return best
}
