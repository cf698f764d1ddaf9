package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Version is the store format this package writes; a store of a higher
// version is refused.
const Version = 1

// FileName is the database file inside the data directory.
const FileName = "p2p.db"

var (
	bucketMeta    = []byte("meta")
	bucketHistory = []byte("history")
	bucketFloors  = []byte("floors")
	keyVersion    = []byte("version")
	keyNext       = []byte("next")  // the key of the next history record
	keyCount      = []byte("count") // history records now
	keyBytes      = []byte("bytes") // their lines' bytes
	keyShown      = []byte("shown") // the key of the last record whose event went out
)

// ErrInUse: another process has the data directory open.
var ErrInUse = errors.New("the data directory is in use by another p2p process")

// Record is one stored message: its origin and sequence number, when the
// node got it (Unix ns) and its SMSG line.
type Record struct {
	Node, Seq uint64
	At        int64
	Line      string
	Key       uint64 // its place in the history (set by Commit, and by Load)
}

// Limits bound the history; past any of them the oldest are deleted at
// the next Commit.
type Limits struct {
	Max    int
	Bytes  int
	MaxAge time.Duration
}

// Store is an open data directory.
type Store struct {
	db     *bolt.DB
	dir    string
	limits Limits
}

// Open opens (or makes) the store in dir with the given history limits.
func Open(dir string, limits Limits) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 200 * time.Millisecond})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("data directory %s: %w", dir, ErrInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	s := &Store{db: db, dir: dir, limits: limits}
	err = db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if v := meta.Get(keyVersion); v != nil {
			if got := binary.BigEndian.Uint64(v); got > Version {
				return fmt.Errorf("%s was written by a newer p2p (store version %d; this p2p reads version %d and older): use that p2p, or another -data directory", path, got, Version)
			}
		} else if err := meta.Put(keyVersion, u64(Version)); err != nil {
			return err
		}
		for _, b := range [][]byte{bucketHistory, bucketFloors} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Dir is the data directory.
func (s *Store) Dir() string { return s.dir }

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// Load calls fn with every history record, oldest first.
func (s *Store) Load(fn func(Record)) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketHistory).ForEach(func(k, v []byte) error {
			r, err := decode(v)
			if err != nil {
				return err
			}
			r.Key = binary.BigEndian.Uint64(k)
			fn(r)
			return nil
		})
	})
}

// Floors returns, per origin, the number up to which every message was
// delivered, as last committed.
func (s *Store) Floors() (map[uint64]uint64, error) {
	out := map[uint64]uint64{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketFloors).ForEach(func(k, v []byte) error {
			if len(k) != 8 || len(v) != 8 {
				return fmt.Errorf("store: a floor entry of %d and %d bytes, want 8 and 8", len(k), len(v))
			}
			out[binary.BigEndian.Uint64(k)] = binary.BigEndian.Uint64(v)
			return nil
		})
	})
	return out, err
}

// Shown returns the key of the last record whose event went out, as last
// committed (0 if none was recorded).
func (s *Store) Shown() (shown uint64) {
	s.db.View(func(tx *bolt.Tx) error {
		shown = get(tx.Bucket(bucketMeta), keyShown)
		return nil
	})
	return shown
}

// Commit appends records to the history (setting their Key), sets floors
// and, when shown is not 0, the key of the last record whose event went
// out, in one transaction (all or nothing, written to disk before it
// returns), and deletes the oldest records past the limits.
func (s *Store) Commit(recs []Record, floors map[uint64]uint64, shown uint64, now time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		meta, hist, fl := tx.Bucket(bucketMeta), tx.Bucket(bucketHistory), tx.Bucket(bucketFloors)
		next, count, size := max(get(meta, keyNext), 1), get(meta, keyCount), get(meta, keyBytes)
		if shown > 0 {
			if err := meta.Put(keyShown, u64(shown)); err != nil {
				return err
			}
		}
		for i := range recs {
			r := &recs[i]
			r.Key = next
			if err := hist.Put(u64(next), encode(*r)); err != nil {
				return err
			}
			next++
			count++
			size += uint64(len(r.Line))
		}
		for node, floor := range floors {
			if err := fl.Put(u64(node), u64(floor)); err != nil {
				return err
			}
		}
		// The oldest past the limits go.
		c := hist.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			r, err := decode(v)
			if err != nil {
				return err
			}
			if count <= uint64(s.limits.Max) && size <= uint64(s.limits.Bytes) && now.Sub(time.Unix(0, r.At)) <= s.limits.MaxAge {
				break
			}
			if err := c.Delete(); err != nil {
				return err
			}
			count--
			size -= uint64(len(r.Line))
		}
		return errors.Join(meta.Put(keyNext, u64(next)), meta.Put(keyCount, u64(count)), meta.Put(keyBytes, u64(size)))
	})
}

func encode(r Record) []byte {
	b := make([]byte, 24, 24+len(r.Line))
	binary.BigEndian.PutUint64(b, r.Node)
	binary.BigEndian.PutUint64(b[8:], r.Seq)
	binary.BigEndian.PutUint64(b[16:], uint64(r.At))
	return append(b, r.Line...)
}

func decode(v []byte) (Record, error) {
	if len(v) < 24 {
		return Record{}, fmt.Errorf("store: a history record of %d bytes, want at least 24", len(v))
	}
	return Record{Node: binary.BigEndian.Uint64(v), Seq: binary.BigEndian.Uint64(v[8:]),
		At: int64(binary.BigEndian.Uint64(v[16:])), Line: string(v[24:])}, nil
}

func u64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

func get(b *bolt.Bucket, k []byte) uint64 {
	if v := b.Get(k); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

var bucketKnown = []byte("known")

// Known is a known address as the store keeps it: the node's name (if
// known) and who told of it.
type Known struct {
	Addr, Name, Source string
}

// SaveKnown replaces the stored known addresses with ks.
func (s *Store) SaveKnown(ks []Known) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketKnown); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
			return err
		}
		b, err := tx.CreateBucket(bucketKnown)
		if err != nil {
			return err
		}
		for _, k := range ks {
			if err := b.Put([]byte(k.Addr), []byte(k.Name+"\x00"+k.Source)); err != nil {
				return err
			}
		}
		return nil
	})
}

// LoadKnown returns the stored known addresses, by address.
func (s *Store) LoadKnown() ([]Known, error) {
	var out []Known
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketKnown)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			name, source, _ := strings.Cut(string(v), "\x00")
			out = append(out, Known{Addr: string(k), Name: name, Source: source})
			return nil
		})
	})
	return out, err
}
