package node

import (
	"math/rand/v2"
	"testing"

	"github.com/p2p-chat/p2p/node/wire"
)

func TestParseID(t *testing.T) {
	for _, tc := range []struct {
		id        string
		node, seq uint64
		ok        bool
	}{
		{"3f2a9c0d1e2b4a5c-17", 0x3f2a9c0d1e2b4a5c, 17, true},
		{"0000000000000000-1", 0, 1, true},
		{"ffffffffffffffff-9223372036854775807", 1<<64 - 1, 1<<63 - 1, true},
		{"ffffffffffffffff-9223372036854775808", 0, 0, false}, // past 2^63-1
		{"3f2a9c0d1e2b4a5c-0", 0, 0, false},
		{"3f2a9c0d1e2b4a5c-01", 0, 0, false},
		{"3f2a9c0d1e2b4a5c-", 0, 0, false},
		{"3F2A9C0D1E2B4A5C-1", 0, 0, false},
		{"3f2a9c0d1e2b4a5-1", 0, 0, false},
		{"3f2a9c0d1e2b4a5cc-1", 0, 0, false},
		{"3f2a9c0d1e2b4a5c-1x", 0, 0, false},
		{"zzzzzzzzzzzzzzzz-1", 0, 0, false},
		{"m1", 0, 0, false},
	} {
		node, seq, ok := wire.ParseID([]byte(tc.id))
		if ok != tc.ok || ok && (node != tc.node || seq != tc.seq) {
			t.Errorf("wire.ParseID(%q) = %x, %d, %v; want %x, %d, %v", tc.id, node, seq, ok, tc.node, tc.seq, tc.ok)
		}
	}
}

// An origin whose messages arrive in order costs no set at all; out of
// order ones wait above the floor until the gap is filled.
func TestDeliveredLogFloor(t *testing.T) {
	d := newDeliveredLog(10)
	for _, seq := range []uint64{1, 2, 3} {
		if !d.add(5, seq) {
			t.Fatalf("%d not fresh", seq)
		}
	}
	o := d.origins[5]
	if o.floor != 3 || o.above != nil {
		t.Fatalf("floor %d above %v, want 3 and none", o.floor, o.above)
	}
	for _, seq := range []uint64{6, 5} {
		if !d.add(5, seq) {
			t.Fatalf("%d not fresh", seq)
		}
	}
	if o.floor != 3 || len(o.above) != 2 {
		t.Fatalf("floor %d above %v, want 3 and two", o.floor, o.above)
	}
	for _, seq := range []uint64{1, 3, 5, 6} {
		if d.add(5, seq) {
			t.Fatalf("%d fresh twice", seq)
		}
	}
	if !d.add(5, 4) {
		t.Fatal("4 not fresh")
	}
	if o.floor != 6 || o.above != nil {
		t.Fatalf("floor %d above %v after the gap filled, want 6 and none", o.floor, o.above)
	}
}

// Against a plain set that remembers everything: arrivals out of order
// (shuffled within windows of 64) and repeated give the same answers.
func TestDeliveredLogMatchesASet(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	d := newDeliveredLog(100)
	want := map[[2]uint64]bool{}
	const origins, perOrigin, window = 5, 20_000, 64
	var queues [origins][][2]uint64
	for node := uint64(0); node < origins; node++ {
		seqs := make([]uint64, perOrigin)
		for i := range seqs {
			seqs[i] = uint64(i + 1)
		}
		for lo := 0; lo < perOrigin; lo += window {
			w := seqs[lo:min(lo+window, perOrigin)]
			rng.Shuffle(len(w), func(i, j int) { w[i], w[j] = w[j], w[i] })
		}
		for i, seq := range seqs {
			queues[node] = append(queues[node], [2]uint64{node, seq})
			if i > 0 && rng.IntN(4) == 0 { // a copy of an earlier one
				queues[node] = append(queues[node], [2]uint64{node, seqs[rng.IntN(i)]})
			}
		}
	}
	// Interleave the origins, keeping each one's order.
	var arrivals [][2]uint64
	for left := origins; left > 0; {
		q := &queues[rng.IntN(origins)]
		if len(*q) == 0 {
			continue
		}
		arrivals = append(arrivals, (*q)[0])
		if *q = (*q)[1:]; len(*q) == 0 {
			left--
		}
	}
	for i, k := range arrivals {
		if got := d.add(k[0], k[1]); got != !want[k] {
			t.Fatalf("add(%d, %d) = %v after %d adds, want %v", k[0], k[1], got, i, !want[k])
		}
		want[k] = true
	}
	if d.gapJumps != 0 {
		t.Fatalf("%d gap jumps with gaps far below the bound", d.gapJumps)
	}
	for node, o := range d.origins {
		if o.floor != perOrigin || o.above != nil {
			t.Fatalf("origin %d: floor %d, %d above; want %d, none", node, o.floor, len(o.above), perOrigin)
		}
	}
}

// Past maxGaps numbers above the floor, the floor jumps: the set stays
// bounded, and the skipped numbers count as delivered.
func TestDeliveredLogGapsAreBounded(t *testing.T) {
	d := newDeliveredLog(10)
	d.maxGaps = 4
	for seq := uint64(3); seq <= 7; seq++ { // 1 and 2 never come
		d.add(9, seq)
	}
	o := d.origins[9]
	if o.floor != 7 || len(o.above) != 0 || d.gapJumps != 1 {
		t.Fatalf("floor %d, %d above, %d jumps; want 7, 0, 1", o.floor, len(o.above), d.gapJumps)
	}
	if d.add(9, 1) {
		t.Fatal("a number the floor jumped over is fresh")
	}
}

// Origins are bounded; the one heard from least recently goes first.
func TestDeliveredLogForgetsLeastRecentOrigin(t *testing.T) {
	d := newDeliveredLog(2)
	d.add(1, 1)
	d.add(2, 1)
	d.add(1, 2) // 1 is now the most recent
	d.add(3, 1) // forgets 2
	if len(d.origins) != 2 || d.origins[2] != nil || d.origins[1] == nil {
		t.Fatalf("origins %v, want 1 and 3", d.origins)
	}
	if !d.add(2, 1) {
		t.Fatal("a forgotten origin's message is not fresh")
	}
}
