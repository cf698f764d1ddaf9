package node

import (
	"container/list"
	"math"
)

// deliveredLog remembers, for each origin node, which of its messages were
// delivered: every sequence number up to a floor, and the few above it
// that arrived before a gap below them was filled. A message id is
// NODE-ID-SEQ, and an origin numbers its messages 1, 2, 3, ...; a copy of
// a message arrives first in that order on every node (each link is FIFO
// and a node forwards its first copies in the order it got them), so the
// set above the floor stays small and an origin costs a few dozen bytes
// however many messages it sent. That is what lets a node remember every
// message it delivered, not only the recent ones: a copy that arrives
// late (a cycle under load, a replay to a new link) is a duplicate
// whatever the seen set's detail table has forgotten.
//
// Bounds: maxOrigins origins (the least recently heard is forgotten when
// a new one comes), and maxGaps numbers above each floor (past it, the
// floor jumps to the lowest of them: the missing numbers below it count as
// delivered, so a message that was lost on the way for that long is not
// delivered if it comes much later).
//
// It is not safe for concurrent use; seenSet guards it with its mutex.
type deliveredLog struct {
	maxOrigins int
	maxGaps    int
	maxAbove   int // numbers above their floors, all origins together
	origins    map[uint64]*originLog
	lru        list.List // of *originLog, most recently heard at the front
	gapJumps   uint64    // times a floor jumped over missing numbers
	aboveTotal int       // numbers above their floors now

	// horizon remembers, for origins that were forgotten, the newest
	// signed time of what they had delivered, folded into buckets by
	// origin: a signed message of an origin the log does not know is
	// stale if it is not newer than its bucket (see addSigned).
	horizon [horizonBuckets]int64
}

type originLog struct {
	node   uint64
	floor  uint64              // every sequence number <= floor was delivered
	above  map[uint64]struct{} // delivered numbers > floor+1; nil when none
	elem   *list.Element
	newest int64 // the latest signed time (Unix ms) delivered from it; 0 for unsigned messages
	// recent locates the seen set's details of this origin's latest
	// messages: at seq%recentSlots, 1 + its place in the seen set's ring
	// (0: none); the seen set checks the slot it finds holds that id.
	recent [recentSlots]int32
}

// recentSlots is how many of an origin's latest messages have their
// duplicates counted in the seen set's details.
const recentSlots = 64

// maxGapsPerOrigin bounds the numbers an origin may have above its floor;
// maxAboveTotal bounds them for all origins together (about 40 bytes
// each), so many origins with gaps cannot make the log grow without end.
// horizonBuckets is the size of the horizon table (8 bytes each).
const (
	maxGapsPerOrigin = 4096
	maxAboveTotal    = 1 << 18
	horizonBuckets   = 4096
)

// verdict is what the log says of a message.
type verdict uint8

const (
	isFresh     verdict = iota + 1 // new: deliver it
	isDuplicate                    // delivered before
	isStale                        // older than what the log forgot of its origin: possibly delivered before, refused
)

func newDeliveredLog(maxOrigins int) *deliveredLog {
	return &deliveredLog{maxOrigins: maxOrigins, maxGaps: maxGapsPerOrigin, maxAbove: maxAboveTotal,
		origins: make(map[uint64]*originLog)}
}

// add records message seq of an unsigned origin node and reports whether
// it is new.
func (d *deliveredLog) add(node, seq uint64) bool {
	return d.addSigned(node, seq, 0, 0) == isFresh
}

// has reports whether message seq of node is known to be delivered,
// without counting it as heard.
func (d *deliveredLog) has(node, seq uint64) bool {
	o := d.origins[node]
	if o == nil || seq > o.floor && o.above == nil {
		return false
	}
	if seq <= o.floor {
		return true
	}
	_, ok := o.above[seq]
	return ok
}

// addSigned records message seq of origin node, signed at time ts (Unix
// ms; 0 for an unsigned message), and says whether it is new. now is the
// local time (Unix ms), used when the origin must be forgotten. A signed
// message of an origin the log does not know is stale unless it is newer
// than what the log forgot of the origins of its horizon bucket: a
// message recorded and resent after its origin was forgotten (to make
// room for others, however many) is refused, not delivered again.
func (d *deliveredLog) addSigned(node, seq uint64, ts, now int64) verdict {
	o := d.origins[node]
	if o == nil {
		if ts != 0 && ts <= d.horizon[node%horizonBuckets] {
			return isStale
		}
		if len(d.origins) >= d.maxOrigins {
			d.forgetLeastRecent(now)
		}
		o = &originLog{node: node}
		if seq > uint64(d.maxGaps) {
			// The first message heard from an origin that has sent many
			// (or numbers from a start time): begin the log there, rather
			// than keep thousands of numbers above a floor of 0.
			o.floor = seq - 1
		}
		o.elem = d.lru.PushFront(o)
		d.origins[node] = o
	} else {
		d.lru.MoveToFront(o.elem)
	}
	if !d.record(o, seq) {
		return isDuplicate
	}
	o.newest = max(o.newest, ts)
	return isFresh
}

// record adds seq to o and reports whether it was new.
func (d *deliveredLog) record(o *originLog, seq uint64) bool {
	if seq <= o.floor {
		return false
	}
	if seq == o.floor+1 {
		o.floor++
		d.absorb(o)
		return true
	}
	if _, ok := o.above[seq]; ok {
		return false
	}
	if o.above == nil {
		o.above = make(map[uint64]struct{})
	}
	o.above[seq] = struct{}{}
	d.aboveTotal++
	if len(o.above) > d.maxGaps || d.aboveTotal > d.maxAbove {
		d.jumpFloor(o)
	}
	return true
}

// absorb moves the floor over numbers that were waiting above it.
func (d *deliveredLog) absorb(o *originLog) {
	for len(o.above) > 0 {
		if _, ok := o.above[o.floor+1]; !ok {
			break
		}
		delete(o.above, o.floor+1)
		d.aboveTotal--
		o.floor++
	}
	if len(o.above) == 0 {
		o.above = nil
	}
}

// jumpFloor gives up on the lowest gap of o: the floor moves up to just
// below its lowest number above the floor, then absorbs the run from there.
func (d *deliveredLog) jumpFloor(o *originLog) {
	lowest := uint64(math.MaxUint64)
	for s := range o.above {
		lowest = min(lowest, s)
	}
	d.gapJumps++
	o.floor = lowest - 1
	d.absorb(o)
}

// forgetLeastRecent drops the origin heard from least recently, and folds
// the newest signed time it delivered into its horizon bucket, clamped to
// now so that an origin whose clock runs ahead cannot push the bucket into
// the future and have the fresh messages of others refused.
func (d *deliveredLog) forgetLeastRecent(now int64) {
	e := d.lru.Back()
	if e == nil {
		return
	}
	o := d.lru.Remove(e).(*originLog)
	delete(d.origins, o.node)
	d.aboveTotal -= len(o.above)
	if o.newest != 0 {
		b := &d.horizon[o.node%horizonBuckets]
		*b = max(*b, min(o.newest, now))
	}
}

// restore records, from a store, that every message of node up to floor
// was delivered (the floor only rises).
func (d *deliveredLog) restore(node, floor uint64) {
	o := d.origins[node]
	if o == nil {
		if len(d.origins) >= d.maxOrigins {
			d.forgetLeastRecent(0)
		}
		o = &originLog{node: node}
		o.elem = d.lru.PushFront(o)
		d.origins[node] = o
	}
	if floor > o.floor {
		o.floor = floor
		for seq := range o.above {
			if seq <= floor {
				delete(o.above, seq)
				d.aboveTotal--
			}
		}
		d.absorb(o)
	}
}
