package script

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkChain3 measures messages per second end to end through a chain
// of three real p2p processes on 127.0.0.1 with -json output: a pipe feeds
// b.N `send` lines of 100 bytes into A, which is connected to B, which is
// connected to C; the clock runs from the first delivery on C to the last.
// Run it with a fixed count, for example:
//
//	go test -run '^$' -bench Chain3 -benchtime 200000x ./script
func BenchmarkChain3(b *testing.B) {
	dir := b.TempDir()
	bin := buildP2P(b)
	n := b.N
	start := func(name, stdin string) (*exec.Cmd, io.ReadCloser, string) {
		return startP2P(b, bin, dir, name, strings.NewReader(stdin))
	}

	// C: the far end. It says "ready" once B is connected, then counts.
	cCmd, cOut, cAddr := start("c", fmt.Sprintf("wait peers 1\nsend ready\nwait -t 5m messages %d\n", n))
	// B: waits for A, then connects to C, and relays.
	_, bOut, bAddr := start("b", fmt.Sprintf("wait peers 1\nconnect %s\nwait -t 5m messages %d\n", cAddr, n+1))
	go io.Copy(io.Discard, bOut)
	// A: connects to B, waits for C's ready, then sends what the pipe gives.
	var script bytes.Buffer
	fmt.Fprintf(&script, "connect %s\nwait message ready\n", bAddr)
	text := strings.Repeat("x", 100-8)
	for i := range n {
		fmt.Fprintf(&script, "send %08d%s\n", i%100_000_000, text)
	}
	_, aOut, _ := start("a", script.String())
	go io.Copy(io.Discard, aOut)

	b.ResetTimer()
	sc := bufio.NewScanner(cOut)
	got := 0
	var first time.Time
	for sc.Scan() {
		if bytes.HasPrefix(sc.Bytes(), []byte(`{"event":"message"`)) {
			if got == 0 {
				first = time.Now()
			}
			got++
		}
	}
	elapsed := time.Since(first)
	b.StopTimer()
	if err := cCmd.Wait(); err != nil {
		b.Fatalf("c: %v", err)
	}
	if got != n {
		b.Fatalf("C delivered %d messages, want %d", got, n)
	}
	if n >= 1000 {
		b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
	}
}

// BenchmarkChain3Latency measures the time from `send` on the first of a
// chain of three p2p processes to delivery on the last, at light load: A
// is fed one message every millisecond (the pacing is the point: this is
// not a throughput test), each carrying its send time. It reports the
// 50th and 99th percentiles. Run it with a fixed count, for example:
//
//	go test -run '^$' -bench Chain3Latency -benchtime 2000x ./script
func BenchmarkChain3Latency(b *testing.B) {
	bin := buildP2P(b)
	b.Run("signed", func(b *testing.B) { benchChain3Latency(b, bin) })
	b.Run("unsigned", func(b *testing.B) { benchChain3Latency(b, bin, "-unsigned") })
}

func benchChain3Latency(b *testing.B, bin string, flags ...string) {
	dir := b.TempDir()
	_, cOut, cAddr := startP2P(b, bin, dir, "c", strings.NewReader(fmt.Sprintf("wait peers 1\nsend ready\nwait -t 5m messages %d\n", b.N)), flags...)
	_, bOut, bAddr := startP2P(b, bin, dir, "b", strings.NewReader(fmt.Sprintf("wait peers 1\nconnect %s\nwait -t 5m messages %d\n", cAddr, b.N+1)), flags...)
	go io.Copy(io.Discard, bOut)
	// An OS pipe, so that A reads what the benchmark writes with no copying
	// goroutine of os/exec's in between (its hand-over is not p2p's time).
	pr, pw, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	_, aOut, _ := startP2P(b, bin, dir, "a", pr, flags...)
	pr.Close() // A has it
	go io.Copy(io.Discard, aOut)
	fmt.Fprintf(pw, "connect %s\nwait message ready\n", bAddr)

	base := time.Now()
	go func() {
		defer pw.Close()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for i := 0; i < b.N; i++ {
			<-tick.C
			fmt.Fprintf(pw, "send %d\n", time.Since(base).Nanoseconds())
		}
	}()
	var lat []time.Duration
	sc := bufio.NewScanner(cOut)
	for sc.Scan() && len(lat) < b.N {
		var ev struct {
			Event, Text string
		}
		if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.Event != "message" || ev.Text == "ready" {
			continue
		}
		sent, err := strconv.ParseInt(ev.Text, 10, 64)
		if err != nil {
			b.Fatalf("text %q", ev.Text)
		}
		lat = append(lat, time.Since(base)-time.Duration(sent))
	}
	if len(lat) != b.N {
		b.Fatalf("C delivered %d of %d", len(lat), b.N)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
