package node

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/p2p-chat/p2p/node/transport/memnet"
)

// BenchmarkChain3TCP sends b.N messages of 100-byte texts into the first
// node of a chain of 3 over loopback TCP and waits until the last node has
// delivered them all, signed (protocol 2: one signature, two
// verifications a message) and unsigned (protocol 1). msgs/s is the
// figure in docs/performance.md.
func BenchmarkChain3TCP(b *testing.B) {
	b.Run("signed", func(b *testing.B) { benchChain3TCP(b, false) })
	b.Run("unsigned", func(b *testing.B) { benchChain3TCP(b, true) })
}

// newChain3TCP starts three nodes on loopback TCP, closed when b ends;
// the caller links them with linkChain once their events are drained.
func newChain3TCP(b *testing.B, unsigned bool) []*Node {
	nodes := make([]*Node, 3)
	for i := range nodes {
		nd, err := New(Config{Name: fmt.Sprintf("n%d", i), ListenAddr: "127.0.0.1:0", Unsigned: unsigned})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { nd.Close() })
		nodes[i] = nd
	}
	return nodes
}

// linkChain connects each node to the next.
func linkChain(b *testing.B, nodes []*Node) {
	for i := 0; i+1 < len(nodes); i++ {
		if _, err := nodes[i].Connect(context.Background(), nodes[i+1].Addr()); err != nil {
			b.Fatal(err)
		}
	}
}

func benchChain3TCP(b *testing.B, unsigned bool) {
	nodes := newChain3TCP(b, unsigned)
	delivered := make(chan int, 1)
	for i, nd := range nodes {
		go func() {
			got := 0
			for ev := range nd.Events() {
				if ev.Kind == EventMessage && i == 2 {
					got++
					if got == b.N {
						delivered <- got
					}
				}
			}
		}()
	}
	linkChain(b, nodes)
	text := strings.Repeat("x", 100)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := nodes[0].Send(text); err != nil {
			b.Fatal(err)
		}
	}
	<-delivered
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkRelay measures one unsigned node relaying: a raw peer writes
// b.N pre-encoded MSG frames (100-byte texts) into the node, which
// delivers each once and forwards it to a second raw peer that discards
// what it reads. allocs/op is the allocations per forwarded message.
// BenchmarkRelaySigned is the same with signed messages.
func BenchmarkRelay(b *testing.B) {
	tr := memnet.New(1 << 20)
	nd, err := New(Config{Name: "relay", ListenAddr: "127.0.0.1:0", Transport: tr, Unsigned: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { nd.Close() }) // after the raw peers' cleanups close them
	in := dialRaw(b, tr, nd.Addr())
	in.handshake("00000000000000aa", "in")
	out := dialRaw(b, tr, nd.Addr())
	out.handshake("00000000000000bb", "out")
	<-nd.Events() // listening
	go func() {   // the sink
		buf := make([]byte, 64<<10)
		for {
			if _, err := out.conn.Read(buf); err != nil {
				return
			}
		}
	}()
	text := strings.Repeat("x", 100)
	var sb strings.Builder
	for i := 0; i < b.N; i++ {
		fmt.Fprintf(&sb, "MSG 00000000000000aa-%d 1 in %s\n", i+1, text)
	}
	frames := []byte(sb.String())
	delivered := make(chan struct{})
	go func() {
		got := 0
		for ev := range nd.Events() {
			if ev.Kind == EventMessage {
				if got++; got == b.N {
					close(delivered)
				}
			}
		}
	}()
	b.ReportAllocs()
	b.ResetTimer()
	go in.conn.Write(frames)
	<-delivered
	b.StopTimer()
	if s := nd.Stats(); s.Forwarded != uint64(b.N) {
		b.Fatalf("forwarded %d of %d", s.Forwarded, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkRelaySigned(b *testing.B) {
	tr := memnet.New(1 << 20)
	nd, err := New(Config{Name: "relay", ListenAddr: "127.0.0.1:0", Transport: tr})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { nd.Close() })
	<-nd.Events() // listening
	delivered := make(chan struct{})
	go func() {
		got := 0
		for ev := range nd.Events() {
			if ev.Kind == EventMessage {
				if got++; got == b.N {
					close(delivered)
				}
			}
		}
	}()
	in := dialSigned(b, tr, nd.Addr(), "in", nil)
	out := dialSigned(b, tr, nd.Addr(), "out", nil)
	go func() {
		buf := make([]byte, 64<<10)
		for {
			if _, err := out.conn.Read(buf); err != nil {
				return
			}
		}
	}()
	text := strings.Repeat("x", 100)
	var sb strings.Builder
	now := time.Now().UnixMilli()
	for i := 0; i < b.N; i++ {
		sb.WriteString(signedLine(in.key, 1, uint64(i+1), now, "in", text))
		sb.WriteByte('\n')
	}
	frames := []byte(sb.String())
	b.ReportAllocs()
	b.ResetTimer()
	go in.conn.Write(frames)
	<-delivered
	b.StopTimer()
	if s := nd.Stats(); s.Forwarded != uint64(b.N) {
		b.Fatalf("forwarded %d of %d", s.Forwarded, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkSendNoPeers is Send alone on an unsigned node: validating the
// text, numbering, recording and encoding a message (allocs/op: its line
// and its queue entry).
func BenchmarkSendNoPeers(b *testing.B) {
	nd, err := New(Config{Name: "s", ListenAddr: "127.0.0.1:0", Unsigned: true})
	if err != nil {
		b.Fatal(err)
	}
	defer nd.Close()
	text := strings.Repeat("x", 100)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := nd.Send(text); err != nil {
			b.Fatal(err)
		}
	}
}
