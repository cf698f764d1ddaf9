package node

import (
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// The queue's rules of waiting, one at a time. They run in a synctest
// bubble, where time only passes when every goroutine in it is blocked: a
// wait of an hour takes microseconds, and a waiter that should have been
// woken but was not is seen at once (synctest.Wait returns with it still
// blocked).

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
