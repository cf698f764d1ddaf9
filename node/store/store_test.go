package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var limits = Limits{Max: 3, Bytes: 1 << 20, MaxAge: time.Hour}

// TestCommitLoadAndLimits: what is committed loads back in order after a
// reopen, floors too, and past Max the oldest records are gone.
func TestCommitLoadAndLimits(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, limits)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range 5 {
		r := Record{Node: 7, Seq: uint64(i + 1), At: now.UnixNano(), Line: fmt.Sprintf("SMSG %d\n", i)}
		if err := s.Commit([]Record{r}, map[uint64]uint64{7: uint64(i + 1)}, 0, now); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s, err = Open(dir, limits)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var seqs []uint64
	if err := s.Load(func(r Record) { seqs = append(seqs, r.Seq) }); err != nil {
		t.Fatal(err)
	}
	floors, err := s.Floors()
	if err != nil || fmt.Sprint(seqs) != "[3 4 5]" || floors[7] != 5 {
		t.Fatalf("loaded %v, floors %v (%v); want the last 3, [3 4 5], and floor 5", seqs, floors, err)
	}
	// Too old: gone at the next commit.
	if err := s.Commit(nil, nil, 0, now.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	seqs = nil
	s.Load(func(r Record) { seqs = append(seqs, r.Seq) })
	if len(seqs) != 0 {
		t.Fatalf("records older than MaxAge still there: %v", seqs)
	}
}

// TestOpenRefuses: a store of a newer version, and one another process
// (here: another handle) holds.
func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, limits)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, limits); !errors.Is(err, ErrInUse) {
		t.Fatalf("second open: %v, want ErrInUse", err)
	}
	s.db.Update(func(tx *bolt.Tx) error {
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], Version+1)
		return tx.Bucket(bucketMeta).Put(keyVersion, v[:])
	})
	s.Close()
	if _, err := Open(dir, limits); err == nil || !strings.Contains(err.Error(), "newer p2p") {
		t.Fatalf("open of a newer store: %v, want it refused", err)
	}
}
