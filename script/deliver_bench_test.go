package script

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
)

// countingWriter counts the message lines written to it and says when n
// have come.
type countingWriter struct {
	want int64
	got  atomic.Int64
	done chan struct{}
}

func (w *countingWriter) Write(p []byte) (int, error) {
	if n := w.got.Add(int64(bytes.Count(p, []byte(`{"event":"message"`)))); n >= w.want && w.want > 0 {
		select {
		case <-w.done:
		default:
			close(w.done)
		}
	}
	return len(p), nil
}

// BenchmarkDeliverAndPrint is one p2p session (-json -unsigned) taking
// b.N messages of 100-byte texts from a raw peer, delivering each once and
// printing its JSON line: allocs/op is the allocations per delivered and
// printed message (the goal: at most 1).
func BenchmarkDeliverAndPrint(b *testing.B) {
	opts, _, err := parseFlags([]string{"-unsigned", "-json", "-listen", "127.0.0.1:0", "-name", "c", "-no-history"}, io.Discard, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	w := &countingWriter{want: int64(b.N), done: make(chan struct{})}
	out := newOutput(w, io.Discard, true)
	defer out.close()
	s, err := newSession(opts, out, os.LookupEnv)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	conn, err := net.Dial("tcp", s.n.Addr())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "HELLO 1 00000000000000aa in -\n")
	if line, err := bufio.NewReader(conn).ReadString('\n'); err != nil || !strings.HasPrefix(line, "HELLO ") {
		b.Fatalf("handshake: %q %v", line, err)
	}
	go io.Copy(io.Discard, conn)
	text := strings.Repeat("x", 100)
	var sb strings.Builder
	for i := range b.N {
		fmt.Fprintf(&sb, "MSG 00000000000000aa-%d 1 in %s\n", i+1, text)
	}
	frames := []byte(sb.String())
	b.ReportAllocs()
	b.ResetTimer()
	go conn.Write(frames)
	<-w.done
	b.StopTimer()
}
