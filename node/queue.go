package node

import (
	"errors"
	"sync"
	"time"
)

// sendQueue is a peer's bounded queue of encoded frames, filled by the flood
// path and drained by the peer's writer. It is bounded by frame count and by
// bytes. A push to a full queue waits for space up to a timeout, which is
// how a slow peer is told from a busy one.
//
// mu guards every field below it.
type sendQueue struct {
	maxFrames int
	maxBytes  int
	ready     chan struct{} // capacity 1: signalled when the queue becomes non-empty

	mu      sync.Mutex
	frames  []string
	bytes   int
	closed  bool
	waiters int           // pushes waiting for space
	space   chan struct{} // closed and replaced when space is freed and someone waits
}

var (
	errQueueFull   = errors.New("send queue full")
	errQueueClosed = errors.New("send queue closed")
)

func newSendQueue(maxFrames, maxBytes int) *sendQueue {
	return &sendQueue{
		maxFrames: maxFrames,
		maxBytes:  maxBytes,
		ready:     make(chan struct{}, 1),
		space:     make(chan struct{}),
	}
}

// fitsLocked reports whether a frame of n bytes fits. A frame always fits in
// an empty queue, so one frame larger than maxBytes cannot wedge it.
func (q *sendQueue) fitsLocked(n int) bool {
	if len(q.frames) == 0 {
		return true
	}
	return len(q.frames) < q.maxFrames && q.bytes+n <= q.maxBytes
}

// push appends f, waiting up to timeout for space. It returns errQueueFull
// if the queue stayed full, errQueueClosed if the peer is going away (also
// when gone is closed while waiting).
func (q *sendQueue) push(f string, timeout time.Duration, gone <-chan struct{}) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return errQueueClosed
	}
	if q.fitsLocked(len(f)) {
		q.appendLocked(f)
		return nil
	}
	// Slow path: wait for the writer to free space.
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		q.waiters++
		space := q.space
		q.mu.Unlock()
		var err error
		select {
		case <-space:
		case <-gone:
			err = errQueueClosed
		case <-timer.C:
			err = errQueueFull
		}
		q.mu.Lock()
		q.waiters--
		switch {
		case q.closed:
			q.mu.Unlock()
			return errQueueClosed
		case q.fitsLocked(len(f)):
			q.appendLocked(f)
			return nil
		case err != nil:
			q.mu.Unlock()
			return err
		}
	}
}

// tryPush appends f only if it fits now. It is for control frames (ERR)
// that must never block the reader.
func (q *sendQueue) tryPush(f string) bool {
	q.mu.Lock()
	if q.closed || !q.fitsLocked(len(f)) {
		q.mu.Unlock()
		return false
	}
	q.appendLocked(f)
	return true
}

// appendLocked adds f and unlocks.
func (q *sendQueue) appendLocked(f string) {
	wasEmpty := len(q.frames) == 0
	q.frames = append(q.frames, f)
	q.bytes += len(f)
	q.mu.Unlock()
	if wasEmpty {
		select {
		case q.ready <- struct{}{}:
		default:
		}
	}
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
	if q.waiters > 0 && len(buf) > 0 {
		close(q.space)
		q.space = make(chan struct{})
	}
	q.mu.Unlock()
	return buf
}

// close refuses further pushes and wakes waiting ones. Frames already
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
