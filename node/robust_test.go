package node

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/p2p-chat/p2p/node/transport"
)

// hubCluster is g0 - hub - g1 over loopback TCP: the hub is the node under
// attack, g0 and g1 are the good nodes that check it still forwards.
func hubCluster(t *testing.T, tune func(*Config)) (*cluster, *Node) {
	c := newCluster(t, transport.TCP{}, 3, func(cfg *Config) {
		cfg.AllowUnsigned = true // the hostile peers are played by hand, unsigned
		if tune != nil {
			tune(cfg)
		}
	})
	c.link([][2]int{{1, 0}, {2, 0}})
	return c, c.nodes[0]
}

// checkStillForwards sends count messages from g0 (nodes[1]) and waits for
// g1 (nodes[2]) to deliver them, through the hub.
func checkStillForwards(t *testing.T, c *cluster, count int) {
	t.Helper()
	before := len(c.recs[2].messages())
	for i := 0; i < count; i++ {
		if _, err := c.nodes[1].Send(fmt.Sprintf("still here %d", i)); err != nil {
			t.Fatalf("good node send: %v", err)
		}
	}
	c.recs[2].waitMessages(t, before+count)
}

// Each bad input from a raw TCP client gets an ERR frame and a disconnect,
// an error event naming the peer and the fault, and the hub keeps
// forwarding for the good nodes.
func TestHostileInputs(t *testing.T) {
	tests := []struct {
		name      string
		handshake bool   // say HELLO first
		input     string // sent as is (no newline added)
		fault     string // in the ERR frame and the event
	}{
		{"random bytes", false, "\x8f\x13\xa0\x00\xff garbage\n", "UTF-8"},
		{"binary word", false, "\x01\x02\x03 garbage\n", "frame type"},
		{"message before hello", false, "MSG 00000000000000aa-1 1 x hi\n", "expected HELLO"},
		{"invalid utf-8", true, "MSG 00000000000000aa-1 1 x \xc3\x28\n", "not valid UTF-8"},
		{"lowercase frame type", true, "msg id 1 x hi\n", "frame type"},
		{"missing fields", true, "MSG 00000000000000aa-1 1\n", "MSG needs"},
		{"negative hops", true, "MSG 00000000000000aa-1 -3 x hi\n", "hop count"},
		{"huge hops", true, "MSG 00000000000000aa-1 4294967296 x hi\n", "hop count"},
		{"id of the wrong shape", true, "MSG ../../etc 1 x hi\n", "message id"},
		{"control characters", true, "MSG 00000000000000aa-1 1 x \x1b[2Jclear\n", "control character"},
		{"second hello", true, "HELLO 1 00000000000000ee raw -\n", "second HELLO"},
		{"malformed hello", false, "HELLO one two\n", "HELLO needs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, hub := hubCluster(t, nil)
			raw := dialRaw(t, transport.TCP{}, hub.Addr())
			if tt.handshake {
				raw.handshake("00000000000000ee", "raw")
			}
			raw.conn.Write([]byte(tt.input))
			line := raw.expect("ERR ")
			if !strings.Contains(line, tt.fault) {
				t.Fatalf("ERR frame %q does not name the fault %q", line, tt.fault)
			}
			if extra, err := raw.readLine(); err == nil {
				t.Fatalf("the hub sent %q instead of hanging up", extra)
			}
			c.recs[0].waitFor(t, "an error event naming the fault", func() bool {
				for _, ev := range c.recs[0].errs {
					if strings.Contains(ev.Err.Error(), tt.fault) {
						return !tt.handshake || ev.Peer.Name == "raw"
					}
				}
				return false
			})
			checkStillForwards(t, c, 10)
		})
	}
}

// A 10 MB line without a newline is refused once it passes the limit,
// without being buffered; the good nodes are unaffected.
func TestOverlongLine(t *testing.T) {
	c, hub := hubCluster(t, nil)
	raw := dialRaw(t, transport.TCP{}, hub.Addr())
	raw.handshake("00000000000000ee", "long")
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	go func() {
		chunk := []byte("MSG 00000000000000aa-1 1 long " + strings.Repeat("x", 64<<10))
		for sent := 0; sent < 10<<20; sent += len(chunk) {
			if _, err := raw.conn.Write(chunk); err != nil {
				return // the hub hung up, as it should
			}
		}
	}()
	line := raw.expect("ERR ")
	if !strings.Contains(line, "line too long") {
		t.Fatalf("got %q, want line too long", line)
	}
	c.recs[0].waitDown(t, "line too long")
	checkStillForwards(t, c, 10)
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grew := int64(after.TotalAlloc - before.TotalAlloc); grew > 4<<20 {
		t.Fatalf("the hub allocated %d bytes while refusing the line; it must not buffer it", grew)
	}
}

// A thousand connection attempts in a burst (some silent, some closed at
// once, some garbage) leave the hub serving its real peers. The silent
// ones are held open all at once, more than MaxPeers, until the hub times
// them out or refuses them.
func TestConnectionBurst(t *testing.T) {
	t.Parallel()
	// Short, so the silent ones end soon; long enough for the real links'
	// handshakes under -race with other tests running.
	c, hub := hubCluster(t, func(cfg *Config) { cfg.HandshakeTimeout = 500 * time.Millisecond })
	const attempts, workers = 1000, 20
	var wg, silent sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < attempts; i += workers {
				conn, err := transport.TCP{}.Dial(context.Background(), hub.Addr())
				if err != nil {
					continue // the backlog may overflow: that is the point
				}
				switch i % 3 {
				case 0: // hang up at once
				case 1:
					conn.Write([]byte("GARBAGE\x00\n"))
				case 2: // silent until the hub times out the handshake or refuses
					silent.Add(1)
					go func() {
						defer silent.Done()
						conn.SetReadDeadline(time.Now().Add(waitTimeout))
						io.Copy(io.Discard, conn)
						conn.Close()
					}()
					continue
				}
				conn.Close()
			}
		}()
	}
	checkStillForwards(t, c, 1000) // while the burst goes on
	wg.Wait()
	silent.Wait() // the hub has hung up on every silent one
	checkStillForwards(t, c, 10)
	if n := len(hub.Peers()); n != 2 {
		t.Fatalf("hub has %d peers after the burst, want its 2 real peers", n)
	}
	// And it still takes a new real peer: every handshake of the burst has
	// ended, so no pending slot is left taken.
	late, err := New(Config{Name: "late", ListenAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer late.Close()
	go func() {
		for range late.Events() {
		}
	}()
	if _, err := late.Connect(context.Background(), hub.Addr()); err != nil {
		t.Fatalf("a new peer could not connect after the burst: %v", err)
	}
}

// One peer flooding new messages cannot starve another: the good node's
// messages get through while the flood goes on.
func TestFloodingPeerDoesNotStarveOthers(t *testing.T) {
	c, hub := hubCluster(t, unsignedNodes) // an unsigned network: every flood message is relayed as it is
	raw := dialRaw(t, transport.TCP{}, hub.Addr())
	raw.handshake("00000000000000f1", "flooder")
	go func() { // a sink, so the hub can forward to the flooder too
		buf := make([]byte, 64<<10)
		for {
			if _, err := raw.conn.Read(buf); err != nil {
				return
			}
		}
	}()
	stop := make(chan struct{})
	flooded := make(chan int)
	go func() {
		n := 0
		defer func() { flooded <- n }()
		var sb strings.Builder
		for n < 2_000_000 {
			sb.Reset()
			for i := 0; i < 500; i++ {
				fmt.Fprintf(&sb, "MSG 00000000000000f1-%d 1 flooder %s\n", n+1, "spam")
				n++
			}
			raw.conn.SetWriteDeadline(time.Now().Add(waitTimeout))
			if _, err := raw.conn.Write([]byte(sb.String())); err != nil {
				return
			}
			select {
			case <-stop:
				return
			default:
			}
		}
	}()
	// Let the flood get going: g1 has seen some of it.
	c.recs[2].waitMessages(t, 1000)
	checkStillForwards(t, c, 100)
	close(stop)
	if n := <-flooded; n >= 2_000_000 {
		t.Fatalf("the flood (%d messages) ended before the good messages got through", n)
	}
}

// The seen set keeps memory bounded while many distinct messages pass
// through a node: four times its bound by default. P2P_CHURN_MESSAGES sets
// how many (default 40,000); the figure in docs/robustness.md is for
// 1,000,000 through a seen set of 50,000.
func TestMemoryBoundedUnderChurn(t *testing.T) {
	total := 40_000
	if s := os.Getenv("P2P_CHURN_MESSAGES"); s != "" {
		total, _ = strconv.Atoi(s)
	}
	seenMax := min(50_000, total/4)
	tr := transport.TCP{}
	hub, err := New(Config{Name: "hub", ListenAddr: "127.0.0.1:0", SeenMax: seenMax, Unsigned: true})
	if err != nil {
		t.Fatal(err)
	}
	// A cleanup, not a defer: it runs after the raw peers' cleanups have
	// closed their side, so Close does not wait CloseTimeout for them.
	t.Cleanup(func() { hub.Close() })
	go func() {
		for range hub.Events() { // count nothing, keep nothing
		}
	}()
	// The raw peer feeds distinct messages and reads what the hub sends
	// back (it forwards to every peer but the sender, so nothing here).
	raw := dialRaw(t, tr, hub.Addr())
	raw.handshake("00000000000000c1", "churn")
	sink := dialRaw(t, tr, hub.Addr())
	sink.handshake("00000000000000c2", "sink")
	go func() {
		var sb strings.Builder
		for n := 0; n < total; {
			sb.Reset()
			for i := 0; i < 1000 && n < total; i++ {
				fmt.Fprintf(&sb, "MSG 00000000000000c1-%d 1 churn %s\n", n+1, strings.Repeat("m", 100))
				n++
			}
			if _, err := raw.conn.Write([]byte(sb.String())); err != nil {
				return
			}
		}
	}()
	var peakHeap uint64
	step := total / 10
	got := 0
	for milestone := step; milestone <= total; milestone += step {
		for ; got < milestone; got++ { // count the frames the sink receives
			if _, err := sink.readLine(); err != nil {
				t.Fatalf("sink after %d messages: %v", got, err)
			}
		}
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		peakHeap = max(peakHeap, ms.HeapInuse)
		if n := hub.Stats().Seen; n > seenMax {
			t.Fatalf("hub remembers %d ids, the bound is %d", n, seenMax)
		}
	}
	t.Logf("%d distinct messages through the hub (seen set bound %d): peak heap in use %.1f MB, RSS at the end %s",
		total, seenMax, float64(peakHeap)/(1<<20), rss())
	if peakHeap > 64<<20 {
		t.Fatalf("peak heap %d MB is more than 64 MB", peakHeap>>20)
	}
}

// rss returns this process's resident set size from /proc, or "unknown".
func rss() string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmRSS:"))
		}
	}
	return "unknown"
}
