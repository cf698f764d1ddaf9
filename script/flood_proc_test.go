package script

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestFloodedRelayStaysWell: real processes A -> V -> C, A sending one
// message a millisecond through V, while flooders connect to V again and
// again and send it unknown frames, GETPEERS and PING as fast as they can.
// V must cut every flooder, keep its stdout small and deliver every one of
// A's messages to C. By default each flood runs 1 s, all three at once;
// P2P_FLOOD_SECONDS=20 runs each alone for that long and logs V's CPU, its
// stdout and the latency A -> C (the figures in docs/security.md):
//
//	P2P_FLOOD_SECONDS=20 go test -run TestFloodedRelayStaysWell -v ./script
func TestFloodedRelayStaysWell(t *testing.T) {
	t.Parallel()
	long, _ := strconv.Atoi(os.Getenv("P2P_FLOOD_SECONDS"))
	phases := [][]string{{"STATUS", "GETPEERS", "PING"}}
	seconds := 1
	if long > 0 {
		phases, seconds = [][]string{{"STATUS"}, {"GETPEERS"}, {"PING"}}, long
	}
	bin := buildP2P(t)
	for _, frames := range phases {
		floodPhase(t, bin, frames, time.Duration(seconds)*time.Second, long > 0)
	}
}

func floodPhase(t *testing.T, bin string, frames []string, d time.Duration, report bool) {
	dir := t.TempDir()
	count := int(d / time.Millisecond)
	_, cOut, cAddr := startP2P(t, bin, dir, "c", strings.NewReader(fmt.Sprintf("wait peers 1\nsend ready\nwait -t 5m messages %d\n", count)), "-ephemeral")
	vCmd, vOut, vAddr := startP2P(t, bin, dir, "v", strings.NewReader(fmt.Sprintf("wait peers 1\nconnect %s\nwait -t 5m messages %d\n", cAddr, count+1)), "-ephemeral", "-allow-unsigned")
	var vBytes atomic.Int64
	vLines := make(chan string, 1)
	go func() { // V's stdout but A's messages: counted; the first line of a cut flooder noted
		sc := bufio.NewScanner(vOut)
		sent := false
		for sc.Scan() {
			if !strings.HasPrefix(sc.Text(), `{"event":"message"`) {
				vBytes.Add(int64(len(sc.Bytes()) + 1))
			}
			if os.Getenv("P2P_FLOOD_DEBUG") != "" {
				fmt.Fprintln(os.Stderr, sc.Text())
			}
			if !sent && strings.Contains(sc.Text(), "misbehaving") {
				vLines <- sc.Text()
				sent = true
			}
		}
	}()
	pr, pw := io.Pipe()
	_, aOut, _ := startP2P(t, bin, dir, "a", pr, "-ephemeral")
	go io.Copy(io.Discard, aOut)
	fmt.Fprintf(pw, "connect %s\nwait message ready\n", vAddr)
	cLines := bufio.NewScanner(cOut)
	for cLines.Scan() && !strings.Contains(cLines.Text(), `"text":"ready"`) {
	}

	// The flooders, until the honest sender is done.
	stop := make(chan struct{})
	var cuts atomic.Int64
	var wg sync.WaitGroup
	for _, frame := range frames {
		wg.Add(1)
		go func() {
			defer wg.Done()
			blast := []byte(strings.Repeat(frame+"\n", 4096))
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				conn, err := net.DialTimeout("tcp", vAddr, time.Second)
				if err != nil {
					continue
				}
				conn.SetDeadline(time.Now().Add(2 * time.Second))
				fmt.Fprintf(conn, "HELLO 1 %016x flooder -\n", i+1)
				for {
					if _, err := conn.Write(blast); err != nil {
						break
					}
				}
				io.Copy(io.Discard, conn)
				conn.Close()
				cuts.Add(1)
			}
		}()
	}
	cpu0 := procCPU(t, vCmd.Process.Pid)
	start := time.Now()
	vBytes.Store(0)
	go func() {
		defer pw.Close()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for range count {
			<-tick.C
			fmt.Fprintf(pw, "send %d\n", time.Since(start).Nanoseconds())
		}
	}()
	var lat []time.Duration
	for len(lat) < count && cLines.Scan() {
		var ev struct{ Event, Text string }
		if json.Unmarshal(cLines.Bytes(), &ev) != nil || ev.Event != "message" {
			continue
		}
		sent, err := strconv.ParseInt(ev.Text, 10, 64)
		if err != nil {
			t.Fatalf("C delivered %q", ev.Text)
		}
		lat = append(lat, time.Since(start)-time.Duration(sent))
	}
	wall := time.Since(start)
	cpu := procCPU(t, vCmd.Process.Pid) - cpu0
	out := vBytes.Load()
	close(stop)
	wg.Wait()
	if len(lat) != count {
		t.Fatalf("%v: C delivered %d of A's %d messages", frames, len(lat), count)
	}
	select {
	case <-vLines:
	default:
		t.Fatalf("%v: V never cut a flooder for misbehaving", frames)
	}
	// One connected, one error and one disconnected line for each flooder
	// let in: at most a few a second once the first is cut.
	if limit := int64(20_000) + int64(d/time.Second)*5_000; out > limit {
		t.Fatalf("%v: V printed %d bytes in %v, want at most %d", frames, out, wall, limit)
	}
	slices.Sort(lat)
	msg := fmt.Sprintf("flood %v for %v: %d connections cut or refused; V's CPU %.0f%%, V's stdout %d bytes besides A's messages; A->C p50 %v p99 %v",
		frames, wall.Round(time.Millisecond), cuts.Load(), 100*cpu.Seconds()/wall.Seconds(), out,
		lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)*99/100].Round(time.Microsecond))
	if report {
		t.Log(msg)
	}
}

// procCPU is the CPU time (user and system) process pid has used.
func procCPU(t *testing.T, pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}
