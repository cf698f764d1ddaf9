package node

import (
	"errors"
	"sync"
	"time"
)

// sendQueue is a peer's bounded queue of encoded frames, filled by the flood
// path and drained by the peer's writer.
//
// Its bound (frames and bytes) is soft: add always appends, so the fan-out
// can queue a frame to every peer in one step without waiting under its
// lock, and reports when the queue is past its bound; the caller then waits
// for room with waitRoom after releasing the lock. That wait is the
// backpressure that slows a sender down to what the slowest path carries.
//
// A wait never lasts long without progress: if the writer takes nothing
// for the patience, the waiter goes on anyway. Bounded queues that wait on
// each other around a cycle of peers (a store-and-forward deadlock under
// saturation) therefore unwind instead of cutting a healthy link. What is
// really bounded is the hard limit: add fails, and the peer is slow, once
// the queue holds hardFactor times its bound, or is past its bound while
// the writer has taken nothing for the stall timeout.
//
// mu guards every field below it.
type sendQueue struct {
	maxFrames int
	maxBytes  int
	stall     time.Duration // no progress for this long while over the bound: slow peer
	ready     chan struct{} // capacity 1: signalled when the queue becomes non-empty

	mu       sync.Mutex
	frames   []string
	bytes    int
	closed   bool
	lastTake time.Time     // when the writer last took frames (or the queue was made)
	waiters  int           // goroutines in waitRoom
	space    chan struct{} // closed and replaced when the writer takes and someone waits
}

var (
	errQueueFull   = errors.New("send queue full")
	errQueueClosed = errors.New("send queue closed")
)

// Bounds are scaled by a factor: Send waits at the bound itself (factor
// 1), relays only past relaySlack times it, so the origin of the traffic is
// throttled first. No queue grows past hardFactor times its bound.
const (
	relaySlack = 4
	hardFactor = 16
)

func newSendQueue(maxFrames, maxBytes int, stall time.Duration) *sendQueue {
	return &sendQueue{
		maxFrames: maxFrames,
		maxBytes:  maxBytes,
		stall:     stall,
		ready:     make(chan struct{}, 1),
		space:     make(chan struct{}),
		lastTake:  time.Now(),
	}
}

// overLocked reports whether the queue is past factor times its bound. One
// frame larger than the byte bound alone is not: it must be able to go.
func (q *sendQueue) overLocked(factor int) bool {
	return len(q.frames) > factor*q.maxFrames || (q.bytes > factor*q.maxBytes && len(q.frames) > 1)
}

// add appends f and reports whether the queue is now past factor times its
// bound (the caller should waitRoom). It never waits. errQueueFull means
// the peer is slow: past the hard limit, or past the bound with no
// progress for the stall timeout.
func (q *sendQueue) add(f string, factor int) (over bool, err error) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false, errQueueClosed
	}
	if q.overLocked(hardFactor) || (q.overLocked(1) && time.Since(q.lastTake) > q.stall) {
		q.mu.Unlock()
		return false, errQueueFull
	}
	wasEmpty := len(q.frames) == 0
	q.frames = append(q.frames, f)
	q.bytes += len(f)
	over = q.overLocked(factor)
	q.mu.Unlock()
	if wasEmpty {
		select {
		case q.ready <- struct{}{}:
		default:
		}
	}
	return over, nil
}

// waitRoom waits until the queue is within factor times its bound, or the
// writer has taken nothing for patience (then it returns at once: waiting
// longer could only deadlock), or the peer goes away.
func (q *sendQueue) waitRoom(factor int, patience time.Duration, gone <-chan struct{}) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	q.mu.Lock()
	defer q.mu.Unlock()
	for !q.closed && q.overLocked(factor) {
		left := patience - time.Since(q.lastTake)
		if left <= 0 {
			return
		}
		q.waiters++
		space := q.space
		q.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(left)
		} else {
			timer.Reset(left)
		}
		var gave bool
		select {
		case <-space:
		case <-gone:
			gave = true
		case <-timer.C:
		}
		q.mu.Lock()
		q.waiters--
		if gave {
			return
		}
	}
}

// tryAdd appends f only if the queue is within its bound. It is for
// control frames (ERR, PEERS) that must never make anyone wait.
func (q *sendQueue) tryAdd(f string) bool {
	q.mu.Lock()
	if q.closed || len(q.frames) >= q.maxFrames || q.bytes+len(f) > q.maxBytes {
		q.mu.Unlock()
		return false
	}
	q.mu.Unlock()
	_, err := q.add(f, 1)
	return err == nil
}

// take moves every queued frame into buf (which it empties first) and
// returns it; the writer passes back the same buf each time, so the two
// slices are swapped and nothing is allocated in the steady state.
func (q *sendQueue) take(buf []string) []string {
	clear(buf)
	buf = buf[:0]
	q.mu.Lock()
	buf, q.frames = q.frames, buf
	q.bytes = 0
	if len(buf) > 0 {
		q.lastTake = time.Now()
		if q.waiters > 0 {
			close(q.space)
			q.space = make(chan struct{})
		}
	}
	q.mu.Unlock()
	return buf
}

// close refuses further frames and wakes waiting ones. Frames already
// queued stay for the writer to flush.
func (q *sendQueue) close() {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.space)
		q.space = make(chan struct{})
	}
	q.mu.Unlock()
}

func (q *sendQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.frames)
}
