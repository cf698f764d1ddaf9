package script

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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
	start := func(name, stdin string, extra ...string) (*exec.Cmd, io.ReadCloser, string) {
		addrFile := filepath.Join(dir, name+".addr")
		os.Remove(addrFile)
		args := append([]string{"-json", "-name", name, "-listen", "127.0.0.1:0", "-addr-file", addrFile, "-timeout", "5m"}, extra...)
		cmd := exec.Command(bin, args...)
		cmd.Stdin = strings.NewReader(stdin)
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd, stdout, readAddrFile(b, addrFile)
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
