package node

import (
	"sync"
	"time"
)

// history keeps the signed messages this node delivered or sent, oldest
// first, so that a peer that was away can be sent what it missed
// (catch-up, catchup.go) and the history command can show them. Bounds:
// max messages, maxBytes bytes of lines, maxAge since they arrived; past
// any of them the oldest are forgotten.
type history struct {
	max, maxBytes int
	maxAge        time.Duration

	mu    sync.Mutex
	recs  []historyRecord // recs[head:] live, oldest first
	head  int
	bytes int
}

// historyRecord is one stored message: its origin and sequence number,
// when it arrived, its SMSG line (as forwarded) and, slices of that line,
// what the history command prints.
type historyRecord struct {
	node, seq uint64
	at        time.Time
	line      string
	msg       Message
}

// HistoryEntry is a stored message, as History returns it.
type HistoryEntry struct {
	Message
	At time.Time // when this node delivered (or sent) it
}

func newHistory(max, maxBytes int, maxAge time.Duration) *history {
	return &history{max: max, maxBytes: maxBytes, maxAge: maxAge}
}

// add stores a message.
func (h *history) add(node, seq uint64, line string, msg Message, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, historyRecord{node: node, seq: seq, at: now, line: line, msg: msg})
	h.bytes += len(line)
	h.trimLocked(now)
}

// trimLocked forgets the oldest records past the bounds, and compacts.
func (h *history) trimLocked(now time.Time) {
	for h.head < len(h.recs) {
		r := &h.recs[h.head]
		if len(h.recs)-h.head <= h.max && h.bytes <= h.maxBytes && now.Sub(r.at) <= h.maxAge {
			break
		}
		h.bytes -= len(r.line)
		*r = historyRecord{}
		h.head++
	}
	if h.head > 64 && h.head > len(h.recs)/2 {
		n := copy(h.recs, h.recs[h.head:])
		clear(h.recs[n:])
		h.recs, h.head = h.recs[:n], 0
	}
}

// missing returns, oldest first, the lines of stored messages that
// arrived before the link came up (since: the later ones went to the peer
// as they came, unless they came from it) and that the peer lacks by its
// summary: of an origin it listed, those above the number it has
// everything up to; of an origin it did not list, all. At most limit
// lines.
func (h *history) missing(floors map[uint64]uint64, since time.Time, limit int) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.trimLocked(time.Now())
	return h.missingLocked(floors, since, limit)
}

func (h *history) missingLocked(floors map[uint64]uint64, since time.Time, limit int) []string {
	var out []string
	for _, r := range h.recs[h.head:] {
		if !r.at.Before(since) {
			break // oldest first: the rest came later too
		}
		if floor, ok := floors[r.node]; ok && r.seq <= floor {
			continue
		}
		if len(out) == limit {
			break
		}
		out = append(out, r.line)
	}
	return out
}

// entries returns the stored messages, oldest first, that keep accepts.
func (h *history) entries(keep func(HistoryEntry) bool) []HistoryEntry {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.trimLocked(time.Now())
	var out []HistoryEntry
	for _, r := range h.recs[h.head:] {
		if e := (HistoryEntry{Message: r.msg, At: r.at}); keep(e) {
			out = append(out, e)
		}
	}
	return out
}

// len returns the number of stored messages.
func (h *history) len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.recs) - h.head
}
