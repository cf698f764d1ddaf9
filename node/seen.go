package node

import (
	"cmp"
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
// mu guards every field below it; add is the atomic test-and-set.
type seenSet struct {
	ttl   time.Duration
	max   int
	start time.Time            // times are stored as offsets from start (monotonic)
	clock func() time.Duration // time since start; a test may replace it

	mu        sync.Mutex
	delivered *deliveredLog
	entries   map[string]seenEntry
	order     []seenKey         // ids in insertion order; order[head:] are live
	head      int               // index of the oldest live id in order
	origins   map[string]string // interned origin names
}

type seenEntry struct {
	origin string
	first  time.Duration // since start
	dups   uint32
}

type seenKey struct {
	id    string
	first time.Duration
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
		entries:   make(map[string]seenEntry),
		origins:   make(map[string]string),
	}
}

// add records id if it is new and reports whether it was. A repeated id
// counts as a duplicate. An id that is not NODE-ID-SEQ (the decoder lets
// none through) is never new. The returned key is the stored copy of id,
// so the caller can reuse it without another allocation.
func (s *seenSet) add(id, origin []byte) (key string, fresh bool) {
	node, seq, ok := wire.ParseID(id)
	if !ok {
		return "", false
	}
	now := s.clock()
	s.mu.Lock()
	if s.delivered.addSigned(node, seq, 0, 0) != isFresh {
		if e, ok := s.entries[string(id)]; ok {
			e.dups++
			s.entries[string(id)] = e
		}
		s.mu.Unlock()
		return "", false
	}
	if len(s.entries) >= s.max {
		s.evictOldestLocked()
	}
	key = string(id)
	s.entries[key] = seenEntry{origin: s.internLocked(origin), first: now}
	s.order = append(s.order, seenKey{id: key, first: now})
	s.mu.Unlock()
	return key, true
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
func (s *seenSet) duplicate(id string) {
	s.mu.Lock()
	if e, ok := s.entries[id]; ok {
		e.dups++
		s.entries[id] = e
	}
	s.mu.Unlock()
}

// addSigned records a verified signed message (id is NODE-ID-SEQ, ts its
// signed time, now the local time, both Unix ms) and says whether it is
// new, a duplicate, or stale (see deliveredLog.addSigned). Like add, it
// is the atomic test-and-set.
func (s *seenSet) addSigned(id string, node, seq uint64, ts, now int64, origin []byte) verdict {
	at := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.delivered.addSigned(node, seq, ts, now)
	if v == isDuplicate {
		if e, ok := s.entries[id]; ok {
			e.dups++
			s.entries[id] = e
		}
	}
	if v != isFresh {
		return v
	}
	if len(s.entries) >= s.max {
		s.evictOldestLocked()
	}
	s.entries[id] = seenEntry{origin: s.internLocked(origin), first: at}
	s.order = append(s.order, seenKey{id: id, first: at})
	return v
}

// addOwn records an id this node made; it never collides.
func (s *seenSet) addOwn(id, origin string) {
	s.add([]byte(id), []byte(origin))
}

func (s *seenSet) internLocked(b []byte) string {
	if o, ok := s.origins[string(b)]; ok {
		return o
	}
	if len(s.origins) >= maxInterned {
		clear(s.origins)
	}
	o := string(b)
	s.origins[o] = o
	return o
}

func (s *seenSet) evictOldestLocked() {
	for s.head < len(s.order) {
		k := s.order[s.head]
		s.order[s.head] = seenKey{}
		s.head++
		if e, ok := s.entries[k.id]; ok && e.first == k.first {
			delete(s.entries, k.id)
			break
		}
	}
	s.compactLocked()
}

// sweep forgets ids older than ttl and returns how many it forgot.
func (s *seenSet) sweep() int {
	cutoff := s.clock() - s.ttl
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for s.head < len(s.order) && s.order[s.head].first <= cutoff {
		k := s.order[s.head]
		s.order[s.head] = seenKey{}
		s.head++
		if e, ok := s.entries[k.id]; ok && e.first == k.first {
			delete(s.entries, k.id)
			n++
		}
	}
	s.compactLocked()
	return n
}

// compactLocked moves the live part of order to the front once the dead
// part is at least half of it, so order does not grow without bound.
func (s *seenSet) compactLocked() {
	if s.head == len(s.order) {
		s.order, s.head = s.order[:0], 0
		return
	}
	if s.head > 1024 && s.head >= len(s.order)/2 {
		n := copy(s.order, s.order[s.head:])
		clear(s.order[n:])
		s.order, s.head = s.order[:n], 0
	}
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
	return len(s.entries)
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
	out := make([]SeenEntry, 0, len(s.entries))
	for id, e := range s.entries {
		out = append(out, SeenEntry{ID: id, Origin: e.origin, FirstSeen: s.start.Add(e.first), Duplicates: int(e.dups)})
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
