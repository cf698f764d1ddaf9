package node

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// The queue's rules of size, close, tryAdd, ready and take, one at a time;
// the rules of waiting are in queue_wait_test.go.

// fill adds n frames of f with factor and returns the last ticket and the
// last over.
func fill(t *testing.T, q *sendQueue, n int, f string, factor int) (tk ticket, over bool) {
	t.Helper()
	for range n {
		var err error
		if tk, over, err = q.add(f, factor); err != nil {
			t.Fatalf("add: %v", err)
		}
	}
	return tk, over
}

// add reports over exactly when the queue is past factor times its bound,
// in frames or in bytes; one frame larger than the byte bound alone is
// not over (it must be able to go).
func TestQueueBounds(t *testing.T) {
	for _, tc := range []struct {
		name      string
		maxFrames int
		maxBytes  int
		factor    int
		frames    []string
		overs     []bool // over after each add
	}{
		{"frames", 2, 1 << 20, 1, []string{"a\n", "b\n", "c\n"}, []bool{false, false, true}},
		{"bytes", 100, 10, 1, []string{"aaaa\n", "bbbb\n", "c\n"}, []bool{false, false, true}},
		{"bytes exactly at the bound", 100, 10, 1, []string{"aaaa\n", "bbbb\n"}, []bool{false, false}},
		{"one oversize frame alone", 100, 10, 1, []string{strings.Repeat("x", 99) + "\n", "y\n"}, []bool{false, true}},
		{"relay frames", 1, 1 << 20, relaySlack, []string{"1\n", "2\n", "3\n", "4\n", "5\n"}, []bool{false, false, false, false, true}},
		{"relay bytes", 100, 4, relaySlack, []string{"aaaaaaa\n", "bbbbbbb\n", "c\n"}, []bool{false, false, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := newSendQueue(tc.maxFrames, tc.maxBytes, time.Hour)
			for i, f := range tc.frames {
				_, over, err := q.add(f, tc.factor)
				if err != nil || over != tc.overs[i] {
					t.Fatalf("add #%d (%d bytes): over %v, err %v; want over %v", i+1, len(f), over, err, tc.overs[i])
				}
			}
			if q.len() != len(tc.frames) {
				t.Fatalf("len %d, want %d: add always appends", q.len(), len(tc.frames))
			}
		})
	}
}

// A frame's ticket counts the frames and bytes up to and including it.
func TestQueueTickets(t *testing.T) {
	q := newSendQueue(10, 1<<20, time.Hour)
	tk1, _, _ := q.add("abc\n", 1)
	tk2, _, _ := q.add("de\n", 1)
	if tk1 != (ticket{1, 4}) || tk2 != (ticket{2, 7}) {
		t.Fatalf("tickets %+v %+v, want {1 4} {2 7}", tk1, tk2)
	}
}

// close refuses further frames, keeps those queued for the writer, and
// reports true only the first time.
func TestQueueClose(t *testing.T) {
	q := newSendQueue(10, 1<<20, time.Hour)
	fill(t, q, 3, "f\n", 1)
	if !q.close() {
		t.Fatal("first close returned false")
	}
	if q.close() {
		t.Fatal("second close returned true")
	}
	if _, _, err := q.add("g\n", 1); err != errQueueClosed {
		t.Fatalf("add after close: %v, want errQueueClosed", err)
	}
	if q.tryAdd("g\n") {
		t.Fatal("tryAdd after close queued the frame")
	}
	if b := q.take(nil); len(b) != 3 || q.len() != 0 {
		t.Fatalf("take after close: %q, %d left; want the 3 frames queued before", b, q.len())
	}
}

// tryAdd queues only within the bound (frames and bytes, the new frame
// included) and never waits, even on a stalled queue; it signals ready
// like add.
func TestQueueTryAdd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newSendQueue(2, 10, time.Second)
		if !q.tryAdd("abcd\n") || len(q.ready) != 1 {
			t.Fatalf("tryAdd into an empty queue: len %d, ready %d; want queued and ready", q.len(), len(q.ready))
		}
		if q.tryAdd("abcdefg\n") {
			t.Fatal("tryAdd queued a frame that takes the queue past its byte bound")
		}
		if !q.tryAdd("abcd\n") {
			t.Fatal("tryAdd refused a frame that fills the queue exactly to its bound")
		}
		if q.tryAdd("a\n") {
			t.Fatal("tryAdd queued a frame past the frame bound")
		}
		fill(t, q, 2, "f\n", 1)
		time.Sleep(time.Hour) // stalled
		start := time.Now()
		if q.tryAdd("a\n") || time.Since(start) != 0 {
			t.Fatal("tryAdd on a stalled queue queued its frame or waited")
		}
		if q.len() != 4 {
			t.Fatalf("len %d, want 4", q.len())
		}
		// An empty queue takes one frame larger than its whole byte bound.
		big := newSendQueue(2, 10, time.Second)
		if !big.tryAdd("PEERS 127.0.0.1:1 127.0.0.1:2\n") {
			t.Fatal("tryAdd refused a large frame into an empty queue")
		}
		if big.tryAdd("a\n") {
			t.Fatal("tryAdd queued a second frame past the byte bound")
		}
	})
}

// ready is signalled when the queue becomes non-empty, not on every add.
func TestQueueReady(t *testing.T) {
	q := newSendQueue(10, 1<<20, time.Hour)
	if len(q.ready) != 0 {
		t.Fatal("ready signalled on a new queue")
	}
	q.add("a\n", 1)
	select {
	case <-q.ready:
	default:
		t.Fatal("ready not signalled when the queue became non-empty")
	}
	q.add("b\n", 1)
	if len(q.ready) != 0 {
		t.Fatal("ready signalled by an add to a non-empty queue")
	}
	q.take(nil)
	q.add("c\n", 1)
	if len(q.ready) != 1 {
		t.Fatal("ready not signalled when the queue became non-empty again")
	}
}

// The writer takes bounded batches, so the queue's length stays an honest
// measure of the backlog, and frames come out in order.
func TestQueueTakesBoundedBatches(t *testing.T) {
	q := newSendQueue(4096, 1<<30, time.Hour)
	for i := range writeBatch + 10 {
		q.add(fmt.Sprintf("%d\n", i), 1)
	}
	b := q.take(nil)
	if len(b) != writeBatch || q.len() != 10 {
		t.Fatalf("took %d, %d left; want %d, 10", len(b), q.len(), writeBatch)
	}
	for i, f := range b {
		if f != fmt.Sprintf("%d\n", i) {
			t.Fatalf("frame %d is %q: out of order", i, f)
		}
	}
	if b = q.take(b); len(b) != 10 || q.len() != 0 || b[0] != fmt.Sprintf("%d\n", writeBatch) {
		t.Fatalf("second take %d (first %q), %d left; want 10 from %d, 0 left", len(b), b[0], q.len(), writeBatch)
	}
	if b = q.take(b); len(b) != 0 {
		t.Fatalf("take from an empty queue: %d frames", len(b))
	}
}

// take reuses the writer's buffer: in the steady state adding and taking
// allocate nothing.
func TestQueueTakeReusesBuffer(t *testing.T) {
	q := newSendQueue(1024, 1<<20, time.Hour)
	buf := make([]string, 0, writeBatch)
	allocs := testing.AllocsPerRun(100, func() {
		for range 300 {
			q.add("f\n", 1)
		}
		for {
			if buf = q.take(buf); len(buf) == 0 {
				break
			}
		}
	})
	if allocs != 0 || cap(buf) != writeBatch {
		t.Fatalf("%v allocations per burst, buffer capacity %d; want 0 and %d", allocs, cap(buf), writeBatch)
	}
}

// The queue's backing array stays bounded while the writer keeps up with
// a backlog that never empties, and a burst's larger array is given back
// once the queue empties.
func TestQueueArrayStaysBounded(t *testing.T) {
	q := newSendQueue(64, 1<<30, time.Hour)
	fill(t, q, 100, "f\n", 1)
	var buf []string
	for range 100 { // a steady backlog of about 100 frames
		fill(t, q, writeBatch, "f\n", 1)
		buf = q.take(buf)
	}
	if c := cap(q.frames); c > 4*writeBatch {
		t.Fatalf("backing array of %d for a backlog of %d: the taken head is never reclaimed", c, q.len())
	}
	fill(t, q, 100*64, "f\n", 1) // a burst
	for q.len() > 0 {
		buf = q.take(buf)
	}
	fill(t, q, 1, "f\n", 1)
	if c := cap(q.frames); c > 2*64 {
		t.Fatalf("backing array of %d after a burst drained, for a bound of 64: not given back", c)
	}
}

// BenchmarkQueueAddTake is the queue's cost per relayed frame: an add at
// the relay level, and a take of every 64 frames with progress.
func BenchmarkQueueAddTake(b *testing.B) {
	q := newSendQueue(4096, 4<<20, time.Hour)
	buf := make([]string, 0, writeBatch)
	f := "MSG 00000000000000aa-1 1 in " + strings.Repeat("x", 100) + "\n"
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if tk, over, _ := q.add(f, relaySlack); over {
			q.waitRoom(tk, relaySlack, time.Second, nil)
		}
		if i%64 == 63 {
			buf = q.take(buf)
			q.progressed()
		}
	}
}
