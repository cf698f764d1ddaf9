package node

import (
	"errors"
	"sync"
	"time"

	"github.com/p2p-chat/p2p/node/notify"
)

// sendQueue is a peer's bounded queue of encoded frames, filled by the flood
// path and drained by the peer's writer, at most writeBatch frames at a
// time.
//
// Its bound (frames and bytes) is soft: add always appends, so the fan-out
// can queue a frame to every peer in one step without waiting under its
// lock, and hands back a ticket; the caller then waits with waitRoom,
// after releasing the lock, until its own frame is within the bound from
// the head of the queue. That wait is the backpressure that slows a
// sender down to what the slowest path carries, and it is fair: frames
// queued later never keep an earlier waiter waiting.
//
// Who waits how long:
//   - The origin of a message (Send) waits at the bound, for as long as
//     the queue moves. It is in no cycle of waits, so it needs no escape.
//   - A relay (a reader forwarding) waits past relaySlack times the bound.
//     Relays wait on each other around cycles of peers, and a cycle of full
//     queues is a store-and-forward deadlock; so a relay stops waiting when
//     the writer has taken nothing for the patience, and the cycle unwinds.
//   - Past hardFactor times the bound (the memory bound) everyone waits for
//     as long as bytes move, patience or not.
//
// Progress is measured in bytes, not batches: the writer reports every
// write that moved bytes (progressed), so a peer that is busy but keeps
// taking frames is never slow. The clocks restart when an idle writer is
// handed frames, so a queue that was quiet is not judged by its last write
// long ago. A peer is slow only when its queue is past its bound and
// nothing has moved for the stall timeout.
//
// The fields above mu are set once by newSendQueue; mu guards every field
// below it.
type sendQueue struct {
	bound level         // the soft bound: the origin waits past it
	hard  level         // hardFactor times the bound: nobody passes it while bytes move
	stall time.Duration // no progress for this long while past the bound: slow peer
	ready chan struct{} // capacity 1: signalled when the queue becomes non-empty

	mu           sync.Mutex
	frames       []string // frames[head:] are queued
	head         int
	closed       bool
	writing      bool          // the writer holds frames it took and has not finished writing
	lastTake     time.Time     // last time the writer took frames, or an idle writer was handed some
	lastProgress time.Time     // last time bytes moved, or an idle writer was handed frames
	added        ticket        // frames and bytes ever added
	taken        ticket        // frames and bytes ever taken by the writer: added less taken is queued
	space        notify.Signal // broadcast when the writer takes frames or the queue closes
}

var (
	errQueueStalled = errors.New("send queue past its bound and not moving")
	errQueueClosed  = errors.New("send queue closed")
)

// Bounds are scaled by a factor: Send waits at the bound itself (factor
// 1), relays only past relaySlack times it, so the origin of the traffic is
// throttled first. Past hardFactor times it nobody is let through while
// bytes move: a queue holds at most that, and one frame more for each
// goroutine queueing to it at the moment.
const (
	relaySlack = 4
	hardFactor = 16
)

// ticket counts frames and bytes through a queue; a frame's ticket is the
// count up to and including it.
type ticket struct{ frames, bytes int }

// level is an amount of queued frames and bytes that a sender waits past.
type level struct{ frames, bytes int }

func (l level) times(factor int) level { return level{factor * l.frames, factor * l.bytes} }

func newSendQueue(maxFrames, maxBytes int, stall time.Duration) *sendQueue {
	bound := level{maxFrames, maxBytes}
	now := time.Now()
	return &sendQueue{
		bound:        bound,
		hard:         bound.times(hardFactor),
		stall:        stall,
		ready:        make(chan struct{}, 1),
		lastProgress: now,
		lastTake:     now,
	}
}

// pastLocked reports whether more than l is queued up to and including
// the frame with ticket t (the whole queue for q.added). One frame larger
// than the byte bound alone is not past it: it must be able to go.
func (q *sendQueue) pastLocked(t ticket, l level) bool {
	frames, bytes := t.frames-q.taken.frames, t.bytes-q.taken.bytes
	return frames > l.frames || (bytes > l.bytes && frames > 1)
}

// add appends f, returns its ticket and reports whether the queue is now
// past factor times its bound (the caller should waitRoom). It never
// waits. errQueueStalled means the peer is slow: past the bound with
// nothing moved for the stall timeout.
func (q *sendQueue) add(f string, factor int) (t ticket, over bool, err error) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return t, false, errQueueClosed
	}
	if q.pastLocked(q.added, q.bound) && time.Since(q.lastProgress) > q.stall {
		q.mu.Unlock()
		return t, false, errQueueStalled
	}
	wasEmpty := q.appendLocked(f)
	t = q.added
	over = q.pastLocked(t, q.bound.times(factor))
	q.mu.Unlock()
	if wasEmpty {
		q.signalReady()
	}
	return t, over, nil
}

// appendLocked queues f and reports whether the queue was empty.
func (q *sendQueue) appendLocked(f string) (wasEmpty bool) {
	wasEmpty = q.added.frames == q.taken.frames
	if wasEmpty && !q.writing {
		// The writer is idle: its clocks start now.
		q.lastProgress = time.Now()
		q.lastTake = q.lastProgress
	}
	q.frames = append(q.frames, f)
	q.added.frames++
	q.added.bytes += len(f)
	return wasEmpty
}

func (q *sendQueue) signalReady() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// waitRoom waits until the frame with ticket t is within factor times the
// bound from the head of the queue, or the peer goes away. Waiting for
// one's own frame rather than for the queue to shrink is fair: later frames
// cannot keep an earlier waiter waiting.
//
// A relay (patience > 0) also stops waiting when the writer has taken
// nothing for patience: relays wait on each other around cycles of peers,
// and waiting longer could only deadlock. The origin of a message
// (patience 0) is in no such cycle and waits for room. Either way, when
// nothing has moved for the stall timeout the peer is slow: waitRoom
// reports it, and the caller disconnects the peer.
func (q *sendQueue) waitRoom(t ticket, factor int, patience time.Duration, gone <-chan struct{}) (stalled bool) {
	lim := q.bound.times(factor)
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	q.mu.Lock()
	defer q.mu.Unlock()
	for !q.closed && q.pastLocked(t, lim) {
		left := q.stall - time.Since(q.lastProgress)
		if left <= 0 {
			return true
		}
		if patience > 0 && !q.pastLocked(t, q.hard) {
			p := patience - time.Since(q.lastTake)
			if p <= 0 {
				return false
			}
			left = min(left, p)
		}
		space := q.space.Wait()
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
		if gave {
			return false
		}
	}
	return false
}

// tryAdd appends f only if the queue, f included, is within its bound;
// unlike add it makes no exception for one frame larger than the byte
// bound. It is for control frames (ERR, PEERS, PING) that must never make
// anyone wait.
func (q *sendQueue) tryAdd(f string) bool {
	q.mu.Lock()
	frames, bytes := q.added.frames-q.taken.frames+1, q.added.bytes-q.taken.bytes+len(f)
	// An empty queue takes any one frame, however large (a PEERS frame of
	// long addresses into a queue of a few bytes' bound).
	ok := !q.closed && (frames == 1 || frames <= q.bound.frames && bytes <= q.bound.bytes)
	var wasEmpty bool
	if ok {
		wasEmpty = q.appendLocked(f)
	}
	q.mu.Unlock()
	if wasEmpty {
		q.signalReady()
	}
	return ok
}

// writeBatch is the most frames the writer takes at once. Taking a
// bounded batch keeps the queue's length an honest measure of its backlog:
// room appears as soon as one batch is written, not after everything that
// was queued when the writer last looked.
const writeBatch = 256

// take moves up to writeBatch queued frames, oldest first, into buf (which
// it empties first) and returns it; the writer passes back the same buf
// each time, so nothing is allocated in the steady state.
func (q *sendQueue) take(buf []string) []string {
	clear(buf)
	buf = buf[:0]
	q.mu.Lock()
	live := q.frames[q.head:]
	n := min(len(live), writeBatch)
	buf = append(buf, live[:n]...)
	for _, f := range buf {
		q.taken.bytes += len(f)
	}
	q.taken.frames += n
	clear(live[:n])
	q.head += n
	switch {
	case q.head == len(q.frames):
		// Empty: start again at the front; give back an array that a
		// burst made much larger than the bound.
		q.frames, q.head = q.frames[:0], 0
		if cap(q.frames) > 2*q.bound.frames {
			q.frames = nil
		}
	case q.head >= writeBatch && q.head >= len(q.frames)/2:
		// Move the queued frames to the front, so the array does not
		// grow while the writer keeps up with a backlog.
		m := copy(q.frames, q.frames[q.head:])
		clear(q.frames[m:])
		q.frames, q.head = q.frames[:m], 0
	}
	q.writing = n > 0
	if n > 0 {
		q.lastTake = time.Now()
		q.lastProgress = q.lastTake
		q.space.Broadcast()
	}
	q.mu.Unlock()
	return buf
}

// progressed records that the writer moved bytes to the connection.
func (q *sendQueue) progressed() {
	q.mu.Lock()
	q.lastProgress = time.Now()
	q.mu.Unlock()
}

// close refuses further frames and wakes waiting ones, and reports
// whether this call closed it. Frames already queued stay for the writer
// to flush.
func (q *sendQueue) close() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.closed = true
	q.space.Broadcast()
	return true
}

// len returns the number of frames queued.
func (q *sendQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.added.frames - q.taken.frames
}
