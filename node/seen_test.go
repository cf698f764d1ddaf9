package node

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/p2p-chat/p2p/node/transport/memnet"
)

// mid returns the id of message seq of origin node number o.
func mid(o, seq int) []byte { return []byte(fmt.Sprintf("%016x-%d", o, seq)) }

func TestSeenAddIsTestAndSet(t *testing.T) {
	s := newSeenSet(time.Minute, 1000, 10)
	if fresh := s.add(mid(1, 1), b("a")); !fresh {
		t.Fatal("first add of m1 is not fresh")
	}
	if fresh := s.add(mid(1, 1), b("a")); fresh {
		t.Fatal("second add of m1 is fresh")
	}
	e := s.snapshot()
	if len(e) != 1 || e[0].ID != string(mid(1, 1)) || e[0].Origin != "a" || e[0].Duplicates != 1 {
		t.Fatalf("snapshot = %+v", e)
	}
	if fresh := s.add([]byte("not-an-id"), b("a")); fresh {
		t.Fatal("an id that is not NODE-ID-SEQ was fresh")
	}
}

// Many goroutines adding the same ids, in different orders: exactly one
// add of each is fresh.
func TestSeenConcurrentAddsOneWinner(t *testing.T) {
	const ids, workers = 5000, 8
	s := newSeenSet(time.Minute, ids, 10)
	var wins [ids]atomic.Int32
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < ids; i++ {
				k := i
				if w%2 == 1 {
					k = ids - 1 - i
				}
				if fresh := s.add(mid(k%3, k/3+1), b("o")); fresh {
					wins[k].Add(1)
				}
			}
		}()
	}
	wg.Wait()
	for i := range wins {
		if n := wins[i].Load(); n != 1 {
			t.Fatalf("id %d was fresh %d times, want 1", i, n)
		}
	}
}

// The table of details is bounded by count; forgetting an entry forgets
// its details, not that the message was delivered.
func TestSeenBoundedByCount(t *testing.T) {
	s := newSeenSet(time.Hour, 3, 10)
	for seq := 1; seq <= 4; seq++ {
		s.add(mid(7, seq), b("o"))
	}
	if n := s.len(); n != 3 {
		t.Fatalf("len = %d, want 3", n)
	}
	if e := s.snapshot(); e[0].ID != string(mid(7, 2)) {
		t.Fatalf("oldest entry left is %s, want the second", e[0].ID)
	}
	if fresh := s.add(mid(7, 1), b("o")); fresh {
		t.Fatal("the message whose entry was forgotten is new again")
	}
}

func TestSeenBoundedByAge(t *testing.T) {
	s := newSeenSet(time.Minute, 100, 10)
	var now time.Duration
	s.clock = func() time.Duration { return now }
	s.add(mid(1, 1), b("o"))
	now = 30 * time.Second
	s.add(mid(1, 2), b("o"))
	now = 61 * time.Second
	if n := s.sweep(); n != 1 {
		t.Fatalf("sweep forgot %d ids, want 1", n)
	}
	if n := s.len(); n != 1 {
		t.Fatalf("len = %d after the sweep, want 1", n)
	}
	for seq := 1; seq <= 2; seq++ {
		if fresh := s.add(mid(1, seq), b("o")); fresh {
			t.Fatalf("message %d is new again after the sweep", seq)
		}
	}
}

// The ring of details stays within its bound under churn, and so does its
// index.
func TestSeenRingStaysWithinItsBound(t *testing.T) {
	s := newSeenSet(time.Hour, 100, 10)
	for i := 0; i < 100_000; i++ {
		s.add(mid(1, i+1), b("o"))
	}
	if len(s.ring) > 100 || s.count != 100 {
		t.Fatalf("ring %d slots, count %d for a bound of 100", len(s.ring), s.count)
	}
	got := s.snapshot()
	if got[0].ID != string(mid(1, 99_901)) || got[99].ID != string(mid(1, 100_000)) {
		t.Fatalf("snapshot from %s to %s, want the last 100 ids oldest first", got[0].ID, got[99].ID)
	}
}

// TestSeenMemoryPerEntry measures the seen set's memory per remembered id
// with the node's own id shape; docs/protocol.md quotes the figure.
func TestSeenMemoryPerEntry(t *testing.T) {
	if testing.Short() {
		t.Skip("measures memory")
	}
	const n = 100_000
	ids := make([][]byte, n)
	for i := range ids {
		ids[i] = []byte(fmt.Sprintf("3f2a9c0d1e2b4a5c-%d", i+1))
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := newSeenSet(time.Hour, n, 10)
	for _, id := range ids {
		s.add(id, b("alice"))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("seen set: %.0f bytes per entry (%d entries)", per, s.len())
	if per > 400 {
		t.Errorf("seen set uses %.0f bytes per entry, more than the 400 documented as the bound", per)
	}
	runtime.KeepAlive(s)
	runtime.KeepAlive(ids) // made before the first reading: not the seen set's
}

// A node forgets the details of a message SeenTTL after it saw it (its
// sweeper runs on its own), and a copy that comes after that is still not
// delivered again. On the fake clock, with the default SeenTTL.
func TestSeenTTLInANode(t *testing.T) {
	onFakeClock(t, func(t *testing.T) {
		tr := memnet.New(0)
		c := newCluster(t, tr, 1, unsignedNodes)
		nd := c.nodes[0]
		ttl := nd.Config().SeenTTL
		raw := dialRaw(t, tr, nd.Addr())
		raw.handshake("00000000000000ab", "raw")
		raw.send("MSG 00000000000000ab-1 1 raw first")
		c.recs[0].waitMessages(t, 1)
		time.Sleep(ttl / 2)
		raw.send("PING") // not a dead peer: IdleTimeout is less than SeenTTL
		time.Sleep(ttl/2 - time.Second)
		if n := len(nd.Seen()); n != 1 {
			t.Fatalf("%d ids remembered a second before SeenTTL (%v), want 1", n, ttl)
		}
		time.Sleep(3 * time.Second) // the sweeper runs every second
		if n := len(nd.Seen()); n != 0 {
			t.Fatalf("%d ids remembered two seconds after SeenTTL (%v), want 0", n, ttl)
		}
		raw.send("MSG 00000000000000ab-1 1 raw first")
		raw.send("MSG 00000000000000ab-2 1 raw second")
		c.recs[0].waitMessages(t, 2)
		if msgs := c.recs[0].messages(); len(msgs) != 2 || msgs[1].Text != "second" {
			t.Fatalf("delivered %+v, want first once, then second", msgs)
		}
		if d := nd.Stats().Duplicates; d != 1 {
			t.Errorf("%d duplicates, want the late copy of first", d)
		}
	})
}

// TestSeenCountsDuplicatesOfRecentMessages: a duplicate is counted on its
// id's details while the id is among its origin's latest 64 messages
// (copies come soon after the first), also after the ring has grown and
// wrapped; an older one's duplicate is still refused, just not counted.
func TestSeenCountsDuplicatesOfRecentMessages(t *testing.T) {
	s := newSeenSet(time.Hour, 150, 10)
	for seq := 1; seq <= 400; seq++ {
		s.add(mid(1, seq), b("o"))
		s.add(mid(2, seq), b("p"))
		if s.add(mid(1, seq), b("o")) || s.add(mid(1, max(1, seq-10)), b("o")) {
			t.Fatal("a duplicate was fresh")
		}
	}
	s.add(mid(1, 300), b("o")) // 100 behind its origin's latest: not counted
	dups := map[string]int{}
	for _, e := range s.snapshot() {
		dups[e.ID] = e.Duplicates
	}
	if len(dups) != 150 {
		t.Fatalf("%d details kept, want 150", len(dups))
	}
	// Origin 1's messages 326 to 400 are kept (75 of them, with origin 2's):
	// each was copied right after it came and again 10 messages later.
	for seq := 326; seq <= 390; seq++ {
		if got := dups[string(mid(1, seq))]; got != 2 {
			t.Fatalf("message %d of origin 1: %d duplicates counted, want 2", seq, got)
		}
	}
	if got := dups[string(mid(1, 400))]; got != 1 {
		t.Fatalf("message 400: %d duplicates counted, want 1", got)
	}
	if got := dups[string(mid(2, 400))]; got != 0 {
		t.Fatalf("origin 2's message 400: %d duplicates, want 0", got)
	}
}
