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
	origins    map[uint64]*originLog
	lru        list.List // of *originLog, most recently heard at the front
	gapJumps   uint64    // times a floor jumped over missing numbers
}

type originLog struct {
	node  uint64
	floor uint64              // every sequence number <= floor was delivered
	above map[uint64]struct{} // delivered numbers > floor+1; nil when none
	elem  *list.Element
}

// maxGapsPerOrigin bounds the numbers an origin may have above its floor.
const maxGapsPerOrigin = 4096

func newDeliveredLog(maxOrigins int) *deliveredLog {
	return &deliveredLog{maxOrigins: maxOrigins, maxGaps: maxGapsPerOrigin, origins: make(map[uint64]*originLog)}
}

// add records message seq of origin node and reports whether it is new.
func (d *deliveredLog) add(node, seq uint64) (fresh bool) {
	o := d.origins[node]
	if o == nil {
		if len(d.origins) >= d.maxOrigins {
			d.forgetLeastRecent()
		}
		o = &originLog{node: node}
		o.elem = d.lru.PushFront(o)
		d.origins[node] = o
	} else {
		d.lru.MoveToFront(o.elem)
	}
	if seq <= o.floor {
		return false
	}
	if seq == o.floor+1 {
		o.floor++
		// Absorb numbers that were waiting for this one.
		for len(o.above) > 0 {
			if _, ok := o.above[o.floor+1]; !ok {
				break
			}
			delete(o.above, o.floor+1)
			o.floor++
		}
		if len(o.above) == 0 {
			o.above = nil
		}
		return true
	}
	if _, ok := o.above[seq]; ok {
		return false
	}
	if o.above == nil {
		o.above = make(map[uint64]struct{})
	}
	o.above[seq] = struct{}{}
	if len(o.above) > d.maxGaps {
		d.jumpFloor(o)
	}
	return true
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
	for {
		if _, ok := o.above[o.floor+1]; !ok {
			break
		}
		delete(o.above, o.floor+1)
		o.floor++
	}
}

func (d *deliveredLog) forgetLeastRecent() {
	e := d.lru.Back()
	if e == nil {
		return
	}
	o := d.lru.Remove(e).(*originLog)
	delete(d.origins, o.node)
}
