package node

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// The tests below are the queue's rules one at a time. Everything about
// time runs in a synctest bubble: time only passes when every goroutine in
// it is blocked, so a wait of an hour takes microseconds, and a waiter that
// should have been woken but was not is seen at once (synctest.Wait returns
// with it still blocked).

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

// waiter runs waitRoom in a goroutine; done and stalled tell how it ended.
type waiter struct {
	done, stalled atomic.Bool
}

// startWait starts a waiter. When the test ends it closes q, so that a
// waiter left waiting by a failed test does not also deadlock the bubble.
func startWait(t *testing.T, q *sendQueue, tk ticket, factor int, patience time.Duration, gone <-chan struct{}) *waiter {
	t.Cleanup(func() { q.close() })
	w := new(waiter)
	go func() {
		w.stalled.Store(q.waitRoom(tk, factor, patience, gone))
		w.done.Store(true)
	}()
	return w
}

// waitNow starts a waiter and lets it run for no time at all: done tells
// whether it returned at once. Tests call waitRoom only through waiters,
// so a waitRoom that wrongly waits forever fails the test instead of
// spinning the bubble's clock until the test binary times out.
func waitNow(t *testing.T, q *sendQueue, tk ticket, factor int, patience time.Duration) (done, stalled bool) {
	w := startWait(t, q, tk, factor, patience, nil)
	synctest.Wait()
	return w.done.Load(), w.stalled.Load()
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

// The origin (factor 1, no patience) waits at the bound for as long as
// the queue moves, and is let through as soon as the writer takes its
// frame; it does not wait within the bound.
func TestQueueOriginWaitsAtTheBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newSendQueue(2, 1<<20, time.Hour)
		tk, _ := fill(t, q, 2, "f\n", 1)
		start := time.Now()
		if done, stalled := waitNow(t, q, tk, 1, 0); !done || stalled {
			t.Fatalf("waitRoom with its frame within the bound: done at once %v, stalled %v; want done, not stalled", done, stalled)
		}
		tk, _ = fill(t, q, 1, "f\n", 1)
		w := startWait(t, q, tk, 1, 0, nil)
		for range 10 { // bytes move for 10 minutes, nothing is taken
			time.Sleep(time.Minute)
			q.progressed()
			synctest.Wait()
			if w.done.Load() {
				t.Fatalf("the origin went on past the bound after %v", time.Since(start))
			}
		}
		q.take(nil)
		synctest.Wait()
		if !w.done.Load() || w.stalled.Load() {
			t.Fatalf("after a take: done %v, stalled %v; want done, not stalled", w.done.Load(), w.stalled.Load())
		}
	})
}

// A relay waits only past relaySlack times the bound.
func TestQueueRelayWaitsPastRelaySlack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newSendQueue(2, 1<<20, time.Hour)
		tk, over := fill(t, q, relaySlack*2, "f\n", relaySlack)
		if done, stalled := waitNow(t, q, tk, relaySlack, time.Second); over || !done || stalled {
			t.Fatalf("relay at relaySlack times the bound: over %v, done at once %v, stalled %v; want done, neither over nor stalled", over, done, stalled)
		}
		tk, over = fill(t, q, 1, "f\n", relaySlack)
		w := startWait(t, q, tk, relaySlack, time.Second, nil)
		synctest.Wait()
		if !over || w.done.Load() {
			t.Fatalf("relay past relaySlack times the bound: over %v, done at once %v; want over, waiting", over, w.done.Load())
		}
		q.take(nil)
		synctest.Wait()
		if !w.done.Load() {
			t.Fatal("relay still waits after a take")
		}
	})
}

// A relay stops waiting (not stalled) when the writer has taken nothing
// for its patience, even while bytes move.
func TestQueueRelayPatience(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newSendQueue(1, 1<<20, time.Hour)
		tk, _ := fill(t, q, relaySlack+1, "f\n", relaySlack)
		w := startWait(t, q, tk, relaySlack, time.Second, nil)
		for i := 1; i <= 20; i++ { // bytes move, but nothing is taken
			time.Sleep(100 * time.Millisecond)
			q.progressed()
			synctest.Wait()
			if w.done.Load() != (i >= 10) || w.stalled.Load() {
				t.Fatalf("after %v: done %v, stalled %v; want done (not stalled) from 1s on", time.Duration(i)*100*time.Millisecond, w.done.Load(), w.stalled.Load())
			}
		}
	})
}

// A relay's patience is measured since the writer last took frames, not
// since the relay began to wait: a writer that keeps taking keeps it
// waiting.
func TestQueueRelayPatienceSinceLastTake(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Between relaySlack and hardFactor times the bound, with more than
		// one writeBatch ahead of the waiter beyond relaySlack times it.
		q := newSendQueue(100, 1<<20, time.Hour)
		tk, _ := fill(t, q, relaySlack*100+writeBatch+100, "f\n", relaySlack)
		start := time.Now()
		w := startWait(t, q, tk, relaySlack, time.Second, nil)
		time.Sleep(900 * time.Millisecond)
		q.take(nil) // still 100 past relaySlack times the bound
		time.Sleep(600 * time.Millisecond)
		synctest.Wait()
		if w.done.Load() {
			t.Fatalf("relay gave up %v after it began to wait, 0.6 s after a take; its patience is 1 s since the take", time.Since(start))
		}
		time.Sleep(500 * time.Millisecond)
		synctest.Wait()
		if !w.done.Load() || w.stalled.Load() {
			t.Fatalf("1.1 s after the last take: done %v, stalled %v; want done, not stalled", w.done.Load(), w.stalled.Load())
		}
	})
}

// A relay past the hard limit gets no patience: it waits while bytes
// move, and only a stall ends the wait.
func TestQueueHardLimitHasNoPatience(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newSendQueue(1, 1<<20, 5*time.Second)
		tk, _ := fill(t, q, hardFactor+2, "frame\n", relaySlack)
		w := startWait(t, q, tk, relaySlack, time.Second, nil)
		for range 30 { // bytes move for 3 s, but nothing is taken
			time.Sleep(100 * time.Millisecond)
			q.progressed()
		}
		synctest.Wait()
		if w.done.Load() {
			t.Fatal("a relay past the hard limit went on after its patience while bytes moved")
		}
		time.Sleep(6 * time.Second)
		synctest.Wait()
		if !w.done.Load() || !w.stalled.Load() {
			t.Fatalf("after a stall: done %v, stalled %v; want both", w.done.Load(), w.stalled.Load())
		}
	})
}

// A queue past its bound with nothing moved for the stall timeout is
// stalled: add refuses with errQueueStalled and waitRoom reports it.
// Within the bound nothing is ever stalled.
func TestQueueStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newSendQueue(2, 1<<20, time.Second)
		fill(t, q, 2, "f\n", 1)
		time.Sleep(time.Hour)
		fill(t, q, 1, "f\n", 1) // within the bound before it: no stall
		if _, _, err := q.add("f\n", 1); err != errQueueStalled {
			t.Fatalf("add past the bound after an hour without progress: %v, want errQueueStalled", err)
		}
		if n := q.len(); n != 3 {
			t.Fatalf("a refused add queued its frame: len %d, want 3", n)
		}

		q = newSendQueue(2, 1<<20, time.Second)
		tk, _ := fill(t, q, 3, "f\n", 1)
		time.Sleep(999 * time.Millisecond)
		if _, _, err := q.add("f\n", 1); err != nil {
			t.Fatalf("add past the bound 0.999 s without progress: %v, want no error yet", err)
		}
		time.Sleep(2 * time.Millisecond)
		if _, _, err := q.add("f\n", 1); err != errQueueStalled {
			t.Fatalf("add past the bound 1.001 s without progress: %v, want errQueueStalled", err)
		}
		if done, stalled := waitNow(t, q, tk, 1, 0); !done || !stalled {
			t.Fatalf("waitRoom on a stalled queue: done at once %v, stalled %v; want both", done, stalled)
		}
	})
}

// waitRoom reports a stall once nothing has moved for the stall timeout
// since it began to wait, origin and relay alike.
func TestQueueWaitRoomStalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newSendQueue(1, 1<<20, 3*time.Second)
		tk, _ := fill(t, q, 2, "f\n", 1)
		w := startWait(t, q, tk, 1, 0, nil)
		time.Sleep(3*time.Second - time.Millisecond)
		synctest.Wait()
		if w.done.Load() {
			t.Fatalf("waitRoom gave up after 2.999 s (stalled %v); want a stall after 3 s", w.stalled.Load())
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if !w.done.Load() || !w.stalled.Load() {
			t.Fatalf("after 3 s without progress: done %v, stalled %v; want both", w.done.Load(), w.stalled.Load())
		}
	})
}

// A writer that keeps moving bytes, however slowly, through a long
// backlog is busy, not slow: adding to its queue never fails.
func TestQueueBusyWriterIsNotSlow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newSendQueue(4, 1<<20, time.Second)
		fill(t, q, 8, "frame\n", 1)
		var batch []string
		batch = q.take(batch) // the writer starts on a batch...
		for range 30 {        // ...and needs 3 s for it, moving bytes every 100 ms
			time.Sleep(100 * time.Millisecond)
			q.progressed()
			if _, _, err := q.add("frame\n", 1); err != nil {
				t.Fatalf("add during slow but steady writing: %v", err)
			}
		}
		// Nothing moves any more: after the stall timeout the peer is slow.
		time.Sleep(1100 * time.Millisecond)
		if _, _, err := q.add("frame\n", 1); err != errQueueStalled {
			t.Fatalf("add after 1.1 s without progress: %v, want errQueueStalled", err)
		}
	})
}

// A queue that was idle for long is not judged by its last write: a burst
// into it makes the sender wait for room (it does not go on at once as if
// the writer had stalled), and the relay's patience starts with the burst.
func TestQueueIdleWriterStillPushesBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newSendQueue(4, 1<<20, 10*time.Second)
		fill(t, q, 1, "frame\n", 1)
		q.take(nil)             // the writer took a frame...
		q.take(nil)             // ...wrote it and found the queue empty
		time.Sleep(time.Minute) // idle
		tk, _ := fill(t, q, 8, "frame\n", 1)
		w := startWait(t, q, tk, 1, time.Second, nil)
		synctest.Wait()
		if w.done.Load() {
			t.Fatalf("waitRoom returned at once (stalled %v) on a queue whose writer was merely idle", w.stalled.Load())
		}
		q.take(nil) // the writer wakes and takes a batch: room
		synctest.Wait()
		if !w.done.Load() || w.stalled.Load() {
			t.Fatalf("after the writer took the frames: done %v, stalled %v; want done, not stalled", w.done.Load(), w.stalled.Load())
		}
	})
}

// The clocks restart only for an idle writer: while it is writing frames
// it took, adding to its (empty) queue does not hide that it stopped
// moving.
func TestQueueBusyWriterClockNotRestartedByAdd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newSendQueue(1, 1<<20, time.Second)
		fill(t, q, 1, "f\n", 1)
		q.take(nil) // the writer is writing it, and stops moving
		time.Sleep(2 * time.Second)
		tk, _ := fill(t, q, 2, "f\n", 1) // into an empty queue, but the writer is not idle
		if _, _, err := q.add("f\n", 1); err != errQueueStalled {
			t.Fatalf("add to a writer stuck on its batch for 2 s: %v, want errQueueStalled (adding restarted its clock)", err)
		}
		if done, stalled := waitNow(t, q, tk, 1, 0); !done || !stalled {
			t.Fatalf("waitRoom on a writer stuck on its batch for 2 s: done at once %v, stalled %v; want both", done, stalled)
		}
	})
}

// Waiting is fair: a waiter is let through once its own frame is within
// the bound, even while others keep the queue past the bound.
func TestQueueWaitIsFair(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newSendQueue(4, 1<<20, time.Hour)
		tk, _ := fill(t, q, 6, "frame\n", 1)
		w := startWait(t, q, tk, 1, 0, nil)
		synctest.Wait()
		// Others add 300 more and wait too; the writer takes batches of
		// writeBatch.
		later, _ := fill(t, q, 300, "later\n", 1)
		w2 := startWait(t, q, later, 1, 0, nil)
		q.take(nil) // takes the 6 and 250 later ones
		synctest.Wait()
		if !w.done.Load() {
			t.Fatalf("waiter still waits with its frame taken, %d frames behind it", q.len())
		}
		if w2.done.Load() {
			t.Fatalf("a waiter with %d frames ahead of it went on", q.len())
		}
		q.take(nil)
		synctest.Wait()
		if !w2.done.Load() {
			t.Fatal("the later waiter still waits with the queue empty")
		}
	})
}

// take wakes every waiter whose frame it brought within the bound, at
// once (no time passes).
func TestQueueTakeWakesWaiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newSendQueue(1, 1<<20, time.Hour)
		var ws []*waiter
		for range 3 {
			tk, _ := fill(t, q, 1, "f\n", 1)
			ws = append(ws, startWait(t, q, tk, 1, 0, nil))
		}
		synctest.Wait()
		start := time.Now()
		q.take(nil)
		synctest.Wait()
		for i, w := range ws {
			if !w.done.Load() || time.Since(start) != 0 {
				t.Fatalf("waiter %d: done %v after %v; want woken at once by take", i, w.done.Load(), time.Since(start))
			}
		}
	})
}

// close wakes every waiter at once, none stalled.
func TestQueueCloseWakesWaiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newSendQueue(1, 1<<20, time.Hour)
		tk, _ := fill(t, q, 3, "f\n", 1)
		ws := []*waiter{startWait(t, q, tk, 1, 0, nil), startWait(t, q, tk, relaySlack, time.Minute, nil)}
		tk, _ = fill(t, q, hardFactor, "f\n", 1)
		ws = append(ws, startWait(t, q, tk, relaySlack, time.Minute, nil))
		synctest.Wait()
		start := time.Now()
		q.close()
		synctest.Wait()
		for i, w := range ws {
			if !w.done.Load() || w.stalled.Load() || time.Since(start) != 0 {
				t.Fatalf("waiter %d after close: done %v, stalled %v, after %v; want done at once, not stalled", i, w.done.Load(), w.stalled.Load(), time.Since(start))
			}
		}
		if done, stalled := waitNow(t, q, tk, 1, 0); !done || stalled {
			t.Fatalf("waitRoom on a closed queue: done at once %v, stalled %v; want done, not stalled", done, stalled)
		}
	})
}

// A closed gone channel ends a wait at once, not stalled.
func TestQueueGoneEndsWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newSendQueue(1, 1<<20, time.Hour)
		tk, _ := fill(t, q, 2, "f\n", 1)
		gone := make(chan struct{})
		w := startWait(t, q, tk, 1, 0, gone)
		synctest.Wait()
		start := time.Now()
		close(gone)
		synctest.Wait()
		if !w.done.Load() || w.stalled.Load() || time.Since(start) != 0 {
			t.Fatalf("after gone: done %v, stalled %v, after %v; want done at once, not stalled", w.done.Load(), w.stalled.Load(), time.Since(start))
		}
	})
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
