package node

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/p2p-chat/p2p/node/store"
	"github.com/p2p-chat/p2p/node/transport/memnet"
)

// TestStoreKeepsDeliveriesAcrossARestart: a node with a store delivers 50
// messages, closes, and starts again on the same store: the peer offers
// the 50 again by catch-up and none is delivered twice; the history has
// them, and the known addresses; the next message is delivered once.
func TestStoreKeepsDeliveriesAcrossARestart(t *testing.T) {
	tr := memnet.New(0)
	dir := t.TempDir()
	limits := store.Limits{Max: 1000, Bytes: 1 << 20, MaxAge: time.Hour}
	open := func() *store.Store {
		st, err := store.Open(dir, limits)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	a, err := New(Config{Name: "a", ListenAddr: "127.0.0.1:0", Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ra := record(a)
	start := func() (*Node, *recorder, *store.Store) {
		st := open()
		b, err := New(Config{Name: "b", ListenAddr: "127.0.0.1:0", Transport: tr, Store: st})
		if err != nil {
			t.Fatal(err)
		}
		rb := record(b)
		known := false
		for _, k := range b.Known() {
			known = known || k.Addr == a.Addr()
		}
		if restarted := len(b.History(nil)) > 0; restarted != known {
			t.Fatalf("a's address known at start: %v; want it exactly when restarting on the store", known)
		}
		if _, err := b.Connect(t.Context(), a.Addr()); err != nil {
			t.Fatal(err)
		}
		return b, rb, st
	}
	b, rb, st := start()
	for i := range 50 {
		if _, err := a.Send(fmt.Sprintf("m %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	rb.waitMessages(t, 50)
	b.Close()
	st.Close()
	ra.waitDown(t, "")

	b, rb, st = start()
	defer st.Close()
	defer b.Close()
	if n := len(b.History(nil)); n != 50 {
		t.Fatalf("the restarted node's history has %d messages, want the 50 stored", n)
	}
	last, err := a.Send("after the restart")
	if err != nil {
		t.Fatal(err)
	}
	rb.waitFor(t, "the new message", func() bool { return rb.count[last.ID] > 0 })
	if got := len(rb.messages()); got != 1 {
		t.Fatalf("the restarted node delivered %d messages, want only the new one", got)
	}
}

// fullDisk is a store whose writes fail after the first ok ones.
type fullDisk struct {
	*store.Store
	ok int
}

func (f *fullDisk) Commit(recs []store.Record, floors map[uint64]uint64, shown uint64, now time.Time) error {
	if f.ok == 0 {
		return errors.New("write p2p.db: no space left on device")
	}
	f.ok--
	return f.Store.Commit(recs, floors, shown, now)
}

// TestStoreWriteFailsTheNodeGoesOn: when the store cannot be written (a
// full disk), the node says so once and goes on delivering every message.
func TestStoreWriteFailsTheNodeGoesOn(t *testing.T) {
	tr := memnet.New(0)
	st, err := store.Open(t.TempDir(), store.Limits{Max: 1000, Bytes: 1 << 20, MaxAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, _ := New(Config{Name: "a", ListenAddr: "127.0.0.1:0", Transport: tr})
	defer a.Close()
	record(a)
	b, err := New(Config{Name: "b", ListenAddr: "127.0.0.1:0", Transport: tr, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.persist.st = &fullDisk{Store: st, ok: 0} // the disk is full from the start
	rb := record(b)
	if _, err := b.Connect(t.Context(), a.Addr()); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		if _, err := a.Send(fmt.Sprintf("m %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	rb.waitMessages(t, 30)
	rb.mu.Lock()
	errs := 0
	for _, e := range rb.errs {
		if strings.Contains(e.Err.Error(), "no space left") && strings.Contains(e.Err.Error(), "goes on without it") {
			errs++
		}
	}
	rb.mu.Unlock()
	if errs != 1 {
		t.Fatalf("%d reports of the failed write, want 1", errs)
	}
}
