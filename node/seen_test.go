package node

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestSeenAddIsTestAndSet(t *testing.T) {
	s := newSeenSet(time.Minute, 1000)
	if _, fresh := s.add(b("m1"), b("a")); !fresh {
		t.Fatal("first add of m1 is not fresh")
	}
	if _, fresh := s.add(b("m1"), b("a")); fresh {
		t.Fatal("second add of m1 is fresh")
	}
	e := s.snapshot()
	if len(e) != 1 || e[0].ID != "m1" || e[0].Origin != "a" || e[0].Duplicates != 1 {
		t.Fatalf("snapshot = %+v", e)
	}
}

// Many goroutines adding the same ids: exactly one add of each is fresh.
func TestSeenConcurrentAddsOneWinner(t *testing.T) {
	const ids, workers = 5000, 8
	s := newSeenSet(time.Minute, ids)
	var wins [ids]atomic.Int32
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < ids; i++ {
				if _, fresh := s.add([]byte(fmt.Sprint(i)), b("o")); fresh {
					wins[i].Add(1)
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

func TestSeenBoundedByCount(t *testing.T) {
	s := newSeenSet(time.Hour, 3)
	for _, id := range []string{"a", "b", "c", "d"} {
		s.add(b(id), b("o"))
	}
	if n := s.len(); n != 3 {
		t.Fatalf("len = %d, want 3", n)
	}
	if _, fresh := s.add(b("a"), b("o")); !fresh {
		t.Fatal("oldest id a was not forgotten when d was added")
	}
	if _, fresh := s.add(b("d"), b("o")); fresh {
		t.Fatal("newest id d was forgotten")
	}
}

func TestSeenBoundedByAge(t *testing.T) {
	s := newSeenSet(time.Minute, 100)
	var now time.Duration
	s.clock = func() time.Duration { return now }
	s.add(b("old"), b("o"))
	now = 30 * time.Second
	s.add(b("new"), b("o"))
	now = 61 * time.Second
	if n := s.sweep(); n != 1 {
		t.Fatalf("sweep forgot %d ids, want 1", n)
	}
	if _, fresh := s.add(b("new"), b("o")); fresh {
		t.Fatal("id younger than the ttl was forgotten")
	}
	if _, fresh := s.add(b("old"), b("o")); !fresh {
		t.Fatal("id older than the ttl was remembered")
	}
}

// The insertion-order slice does not grow without bound under churn.
func TestSeenOrderIsCompacted(t *testing.T) {
	s := newSeenSet(time.Hour, 100)
	for i := 0; i < 100_000; i++ {
		s.add([]byte(fmt.Sprint(i)), b("o"))
	}
	if n := len(s.order); n > 3000 {
		t.Fatalf("order holds %d slots for 100 live ids", n)
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
	s := newSeenSet(time.Hour, n)
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
}
