package node

import (
	"strings"
	"testing"
	"time"
)

// TestHistoryStaysWithinItsBounds: a million messages through a history
// with the default count bound and a small byte bound: it never holds
// more than either, and its slice does not grow past twice the count.
func TestHistoryStaysWithinItsBounds(t *testing.T) {
	d := DefaultConfig()
	h := newHistory(d.HistoryMax, 8<<20, d.HistoryAge)
	line := "SMSG 1 " + strings.Repeat("x", 120) + "\n"
	now := time.Now()
	for i := range 1_000_000 {
		h.add(1, uint64(i+1), line, Message{}, now)
		if i%100_000 == 0 {
			if n := h.len(); n > d.HistoryMax {
				t.Fatalf("%d messages held, the bound is %d", n, d.HistoryMax)
			}
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	held := len(h.recs) - h.head
	if held*len(line) > 8<<20 || h.bytes > 8<<20 || cap(h.recs) > 2*d.HistoryMax+64 {
		t.Fatalf("%d held, %d bytes, slice capacity %d: want within 8 MiB and twice the count bound", held, h.bytes, cap(h.recs))
	}
	if missing := h.missingLocked(map[uint64]uint64{1: 999_990}, now.Add(time.Second), 100); len(missing) != 10 {
		t.Fatalf("%d missing above 999,990, want 10", len(missing))
	}
	// Age: everything older than the bound goes at the next look.
	h.trimLocked(now.Add(d.HistoryAge + time.Second))
	if n := len(h.recs) - h.head; n != 0 {
		t.Fatalf("%d messages older than %v still held", n, d.HistoryAge)
	}
}
