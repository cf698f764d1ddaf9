package node

import (
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// A writer that keeps moving bytes, however slowly, through a long
// backlog is busy, not slow: adding to its queue never fails.
func TestQueueBusyWriterIsNotSlow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newSendQueue(4, 1<<20, time.Second)
		for range 8 {
			q.add("frame\n", 1)
		}
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
// the writer had stalled).
func TestQueueIdleWriterStillPushesBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newSendQueue(4, 1<<20, 10*time.Second)
		time.Sleep(time.Minute) // idle
		var tk ticket
		for range 8 {
			tk, _, _ = q.add("frame\n", 1)
		}
		var done atomic.Bool
		go func() {
			q.waitRoom(tk, 1, time.Second, nil)
			done.Store(true)
		}()
		synctest.Wait()
		if done.Load() {
			t.Fatal("waitRoom returned at once on a queue whose writer was merely idle")
		}
		q.take(nil) // the writer wakes and takes a batch: room
		synctest.Wait()
		if !done.Load() {
			t.Fatal("waitRoom still waits after the writer took the frames")
		}
	})
}

// Waiting is fair: a waiter is let through once its own frame is within
// the bound, even while others keep the queue past the bound.
func TestQueueWaitIsFair(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newSendQueue(4, 1<<20, time.Hour)
		var tk ticket
		for range 6 {
			tk, _, _ = q.add("frame\n", 1)
		}
		var done atomic.Bool
		go func() {
			q.waitRoom(tk, 1, 0, nil)
			done.Store(true)
		}()
		synctest.Wait()
		// Others add 300 more; the writer takes batches of writeBatch.
		for range 300 {
			q.add("later\n", 1)
		}
		q.take(nil) // takes the 6 and 250 later ones
		synctest.Wait()
		if !done.Load() {
			t.Fatalf("waiter still waits with its frame taken, %d frames behind it", q.len())
		}
	})
}

// A relay past the hard limit gets no patience: it waits while bytes
// move, and only a stall ends the wait.
func TestQueueHardLimitHasNoPatience(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newSendQueue(1, 1<<20, 5*time.Second)
		var tk ticket
		for range hardFactor + 2 {
			tk, _, _ = q.add("frame\n", relaySlack)
		}
		var stalled atomic.Bool
		var done atomic.Bool
		go func() {
			stalled.Store(q.waitRoom(tk, relaySlack, time.Second, nil))
			done.Store(true)
		}()
		for range 30 { // bytes move for 3 s, but nothing is taken
			time.Sleep(100 * time.Millisecond)
			q.progressed()
		}
		synctest.Wait()
		if done.Load() {
			t.Fatal("a relay past the hard limit went on after its patience while bytes moved")
		}
		time.Sleep(6 * time.Second)
		synctest.Wait()
		if !done.Load() || !stalled.Load() {
			t.Fatalf("after a stall: done %v, stalled %v; want both", done.Load(), stalled.Load())
		}
	})
}

// The writer takes bounded batches, so the queue's length stays an honest
// measure of the backlog, and frames come out in order.
func TestQueueTakesBoundedBatches(t *testing.T) {
	q := newSendQueue(4096, 1<<30, time.Hour)
	for i := range writeBatch + 10 {
		q.add(string(rune('a'+i%26))+"\n", 1)
	}
	b := q.take(nil)
	if len(b) != writeBatch || q.len() != 10 || b[0] != "a\n" || b[1] != "b\n" {
		t.Fatalf("took %d, %d left, first %q %q; want %d, 10, a b", len(b), q.len(), b[0], b[1], writeBatch)
	}
	if b = q.take(b); len(b) != 10 || q.len() != 0 {
		t.Fatalf("second take %d, %d left; want 10, 0", len(b), q.len())
	}
}
