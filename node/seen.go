package node

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/p2p-chat/p2p/node/wire"
)

// seenSet remembers message ids so that each is delivered and forwarded
// once. Whether an id is new is decided by the delivered log, which keeps
// every origin's delivered sequence numbers in a few bytes, so no bound on
// the seen set can make a late copy look new. Beside it, a detail table
// keeps each recent id with its origin, first-seen time and duplicate
// count (the `seen` command); that table is bounded by age (ttl) and by
// count (max): adding to a full table forgets the oldest entry, and a
// sweeper forgets entries older than ttl. Forgetting an entry forgets its
// details, never that the message was delivered.
//
// The details sit in a ring in the order they were added (so the oldest
// is at its head, for both bounds); each origin's entry in the delivered
// log points at its latest 64 messages' details, for counting their
// duplicates. Adding one costs no string, no hash table of ids and no
// search for the oldest.
//
// mu guards every field below it; add is the atomic test-and-set.
type seenSet struct {
	ttl   time.Duration
	max   int
	start time.Time            // times are stored as offsets from start (monotonic)
	clock func() time.Duration // time since start; a test may replace it

	mu        sync.Mutex
	delivered *deliveredLog
	ring      []seenSlot        // details, ring[head] the oldest; grows up to max
	head      int               // index of the oldest in ring
	count     int               // details held
	origins   map[string]string // interned origin names
}

// seenID is a message id NODE-ID-SEQ as numbers.
type seenID struct{ node, seq uint64 }

func (id seenID) String() string { return fmt.Sprintf("%016x-%d", id.node, id.seq) }

type seenSlot struct {
	id     seenID
	origin string
	first  time.Duration // since start
	dups   uint32
}

// maxInterned bounds the origin intern table; past it, the table restarts.
const maxInterned = 4096

func newSeenSet(ttl time.Duration, max, maxOrigins int) *seenSet {
	start := time.Now()
	return &seenSet{
		ttl:       ttl,
		max:       max,
		start:     start,
		clock:     func() time.Duration { return time.Since(start) },
		delivered: newDeliveredLog(maxOrigins),
		origins:   make(map[string]string),
	}
}

// add records id if it is new and reports whether it was. A repeated id
// counts as a duplicate. An id that is not NODE-ID-SEQ (the decoder lets
// none through) is never new.
func (s *seenSet) add(id, origin []byte) (fresh bool) {
	node, seq, ok := wire.ParseID(id)
	if !ok {
		return false
	}
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.delivered.addSigned(node, seq, 0, 0) != isFresh {
		s.duplicateLocked(seenID{node, seq})
		return false
	}
	s.recordLocked(seenID{node, seq}, s.internLocked(origin), now)
	return true
}

// has reports whether message seq of origin node was delivered, without
// recording anything: a copy of a delivered message is a duplicate, and
// needs no verification.
func (s *seenSet) has(node, seq uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delivered.has(node, seq)
}

// duplicate counts a copy of a delivered message against its id's details.
func (s *seenSet) duplicate(node, seq uint64) {
	s.mu.Lock()
	s.duplicateLocked(seenID{node, seq})
	s.mu.Unlock()
}

// duplicateLocked counts a duplicate of id, if its details are still kept
// and it is among its origin's latest recentSlots messages.
func (s *seenSet) duplicateLocked(id seenID) {
	o := s.delivered.origins[id.node]
	if o == nil {
		return
	}
	if i := o.recent[id.seq%recentSlots] - 1; i >= 0 && int(i) < len(s.ring) && s.ring[i].id == id {
		s.ring[i].dups++
	}
}

// locateLocked notes where id's details are, on its origin's entry.
func (s *seenSet) locateLocked(id seenID, at int) {
	if o := s.delivered.origins[id.node]; o != nil {
		o.recent[id.seq%recentSlots] = int32(at) + 1
	}
}

// addSigned records a verified signed message (message seq of origin
// node, ts its signed time, now the local time, both Unix ms) and says
// whether it is new, a duplicate, or stale (see deliveredLog.addSigned).
// Like add, it is the atomic test-and-set.
func (s *seenSet) addSigned(node, seq uint64, ts, now int64, origin []byte) verdict {
	at := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.delivered.addSigned(node, seq, ts, now)
	if v == isDuplicate {
		s.duplicateLocked(seenID{node, seq})
	}
	if v == isFresh {
		s.recordLocked(seenID{node, seq}, s.internLocked(origin), at)
	}
	return v
}

// addOwn records message seq of this node (node), which never collides.
func (s *seenSet) addOwn(node, seq uint64, origin string) {
	at := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delivered.addSigned(node, seq, 0, 0)
	s.recordLocked(seenID{node, seq}, s.internString(origin), at)
}

// recordLocked adds id's details, forgetting the oldest if the table is
// full.
func (s *seenSet) recordLocked(id seenID, origin string, at time.Duration) {
	if s.count >= s.max {
		s.evictOldestLocked()
	}
	if s.count == len(s.ring) {
		s.growLocked()
	}
	i := (s.head + s.count) % len(s.ring)
	s.ring[i] = seenSlot{id: id, origin: origin, first: at}
	s.locateLocked(id, i)
	s.count++
}

// growLocked doubles the ring (up to max), oldest first at 0.
func (s *seenSet) growLocked() {
	ring := make([]seenSlot, min(s.max, max(64, 2*len(s.ring))))
	for k := range s.count {
		ring[k] = s.ring[(s.head+k)%len(s.ring)]
		s.locateLocked(ring[k].id, k)
	}
	s.ring, s.head = ring, 0
}

func (s *seenSet) internLocked(b []byte) string {
	if o, ok := s.origins[string(b)]; ok {
		return o
	}
	return s.internString(string(b))
}

func (s *seenSet) internString(o string) string {
	if v, ok := s.origins[o]; ok {
		return v
	}
	if len(s.origins) >= maxInterned {
		clear(s.origins)
	}
	s.origins[o] = o
	return o
}

// evictOldestLocked forgets the oldest details.
func (s *seenSet) evictOldestLocked() {
	s.ring[s.head] = seenSlot{}
	s.head = (s.head + 1) % len(s.ring)
	s.count--
}

// sweep forgets ids older than ttl and returns how many it forgot.
func (s *seenSet) sweep() int {
	cutoff := s.clock() - s.ttl
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for s.count > 0 && s.ring[s.head].first <= cutoff {
		s.evictOldestLocked()
		n++
	}
	return n
}

// gapJumps reports how often an origin's floor jumped over missing numbers.
func (s *seenSet) gapJumps() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delivered.gapJumps
}

// originCount reports how many origins the delivered log remembers.
func (s *seenSet) originCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.delivered.origins)
}

func (s *seenSet) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// SeenEntry describes one remembered message id.
type SeenEntry struct {
	ID         string
	Origin     string
	FirstSeen  time.Time
	Duplicates int // copies that arrived after the first
}

// snapshot returns the remembered ids, oldest first.
func (s *seenSet) snapshot() []SeenEntry {
	s.mu.Lock()
	out := make([]SeenEntry, 0, s.count)
	for k := range s.count {
		e := &s.ring[(s.head+k)%len(s.ring)]
		out = append(out, SeenEntry{ID: e.id.String(), Origin: e.origin, FirstSeen: s.start.Add(e.first), Duplicates: int(e.dups)})
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b SeenEntry) int {
		return cmp.Or(a.FirstSeen.Compare(b.FirstSeen), strings.Compare(a.ID, b.ID))
	})
	return out
}

// floors returns, for every origin of the delivered log, the number up to
// which every message was delivered (catch-up's summary).
func (s *seenSet) floors() []wire.Ref {
	s.mu.Lock()
	defer s.mu.Unlock()
	refs := make([]wire.Ref, 0, len(s.delivered.origins))
	for node, o := range s.delivered.origins {
		refs = append(refs, wire.Ref{Node: node, Seq: o.floor, Hops: -1})
	}
	return refs
}

// restore marks what a store says was delivered: the floors, and each
// stored message.
func (s *seenSet) restore(floors map[uint64]uint64, delivered [][2]uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for node, floor := range floors {
		s.delivered.restore(node, floor)
	}
	for _, d := range delivered {
		s.delivered.add(d[0], d[1])
	}
}
