package node

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// testBook is an address book on a fake clock with no jitter (or the
// largest, with maxJitter), whose own address is "me:1".
func testBook(maxKnown int, maxJitter bool) (*addrBook, time.Time) {
	cfg := Config{MaxKnown: maxKnown, DialBackoff: time.Second, DialBackoffMax: time.Minute, ForgetAfter: time.Hour}
	jitter := func(n int64) int64 { return 0 }
	if maxJitter {
		jitter = func(n int64) int64 { return n - 1 }
	}
	return newAddrBook(cfg, func(a string) bool { return a == "me:1" }, jitter), time.Unix(1e9, 0)
}

func states(b *addrBook, now time.Time) map[string]string {
	out := map[string]string{}
	for _, k := range b.snapshot(nil, now) {
		out[k.Addr] = k.State
	}
	return out
}

func TestAddrBookBackoffDoublesAndIsCapped(t *testing.T) {
	b, _ := testBook(10, false)
	for failures, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 7: time.Minute, 50: time.Minute} {
		if got := b.backoff(failures); got != want {
			t.Errorf("backoff(%d) without jitter = %v, want %v", failures, got, want)
		}
	}
	b, _ = testBook(10, true)
	if got, want := b.backoff(3), 4*time.Second+2*time.Second; got != want {
		t.Errorf("backoff(3) with the most jitter = %v, want %v (50%% more)", got, want)
	}
}

// A failed dial backs the address off; it is due again only after the
// backoff, which doubles per failure; a success resets it.
func TestAddrBookDialOutcomes(t *testing.T) {
	b, now := testBook(10, false)
	b.learn("a:1", "", "", "join", now)
	b.learn("me:1", "", "", "peer", now) // our own address is never learned
	if due := b.due(nil, now); len(due) != 1 || due[0] != "a:1" {
		t.Fatalf("due = %v, want [a:1]", due)
	}
	if !b.claim("a:1") || b.claim("a:1") {
		t.Fatal("claim: the first must succeed, a second while dialing must not")
	}
	if len(b.due(nil, now)) != 0 || b.inFlight() != 1 {
		t.Fatalf("an address being dialed is due, or not in flight (%d)", b.inFlight())
	}
	fail := errors.New("connection refused")
	for i, wait := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		if i > 0 {
			b.claim("a:1")
		}
		if !b.dialed("a:1", Peer{}, fail, now) {
			t.Fatal("a refused dial is not reported")
		}
		if len(b.due(nil, now.Add(wait-time.Millisecond))) != 0 {
			t.Fatalf("failure %d: due before its backoff of %v", i+1, wait)
		}
		now = now.Add(wait)
		if len(b.due(nil, now)) != 1 {
			t.Fatalf("failure %d: not due after its backoff of %v", i+1, wait)
		}
	}
	b.claim("a:1")
	if b.dialed("a:1", Peer{ID: "00000000000000aa", Name: "alice"}, nil, now) {
		t.Fatal("a successful dial is reported as a failure")
	}
	if b.inFlight() != 0 {
		t.Fatalf("in flight after the dial ended = %d, want 0", b.inFlight())
	}
	if k := b.snapshot(nil, now)[0]; k.Failures != 0 || k.Name != "alice" {
		t.Fatalf("after a success: %+v, want failures reset and the name known", k)
	}
	// Connected (by node id) is not due, whatever its address.
	if len(b.due(map[string]bool{"00000000000000aa": true}, now)) != 0 {
		t.Fatal("an address of a connected node is due")
	}
	if len(b.due(map[string]bool{"a:1": true}, now)) != 0 {
		t.Fatal("the address of a connected peer is due")
	}
}

// Already connected is not a failure but waits the longest backoff;
// this node itself is never dialed again; closing is nothing.
func TestAddrBookOutcomesThatAreNotFailures(t *testing.T) {
	b, now := testBook(10, false)
	b.learn("a:1", "", "", "join", now)
	b.learn("self:1", "", "", "join", now)
	b.learn("c:1", "", "", "join", now)
	b.claim("a:1")
	if b.dialed("a:1", Peer{}, fmt.Errorf("refused: %w", ErrAlreadyConnected), now) {
		t.Fatal("already connected is reported as a failure")
	}
	b.claim("self:1")
	b.dialed("self:1", Peer{}, &RefusedError{Reason: "connection to self", err: ErrSelf}, now)
	b.claim("c:1")
	if b.dialed("c:1", Peer{}, ErrClosed, now) {
		t.Fatal("closing is reported as a failure")
	}
	st := states(b, now)
	if st["a:1"] != "new" || st["self:1"] != "self" || st["c:1"] != "new" {
		t.Fatalf("states = %v, want a:1 new (no failure), self:1 self, c:1 new", st)
	}
	if due := b.due(nil, now.Add(time.Minute-time.Second)); len(due) != 1 || due[0] != "c:1" {
		t.Fatalf("due a minute less a second later = %v, want only c:1 (already connected waits DialBackoffMax, self never)", due)
	}
}

// An address that keeps failing is forgotten ForgetAfter after it last
// worked; one that never worked, ForgetAfter after it was learned.
func TestAddrBookForgetsWhatKeepsFailing(t *testing.T) {
	b, now := testBook(10, false)
	b.learn("a:1", "", "", "peer", now)
	b.learn("b:1", "", "", "peer", now)
	b.claim("a:1")
	b.dialed("a:1", Peer{}, errors.New("refused"), now)
	b.due(nil, now.Add(time.Hour)) // exactly ForgetAfter: kept
	if st := states(b, now); st["a:1"] != "failed" {
		t.Fatalf("forgotten at exactly ForgetAfter: %v", st)
	}
	b.due(nil, now.Add(time.Hour+time.Second))
	if st := states(b, now); st["a:1"] != "" || st["b:1"] != "new" {
		t.Fatalf("after ForgetAfter: %v, want a:1 forgotten and b:1 (never failed) kept", st)
	}

	// Learned at now, worked half an hour later, then failed: forgotten
	// ForgetAfter after it worked, not after it was learned.
	b.learn("c:1", "", "", "peer", now)
	b.learn("c:1", "00000000000000cc", "c", "inbound", now.Add(30*time.Minute))
	b.claim("c:1")
	b.dialed("c:1", Peer{}, errors.New("refused"), now.Add(31*time.Minute))
	b.due(nil, now.Add(time.Hour+time.Second))
	if st := states(b, now); st["c:1"] != "failed" {
		t.Fatalf("forgotten ForgetAfter after it was learned, though it worked since: %v", st)
	}
	b.due(nil, now.Add(90*time.Minute+time.Second))
	if st := states(b, now); st["c:1"] != "" {
		t.Fatalf("kept ForgetAfter after it last worked: %v", st)
	}
}

// A connection from a node (learn with its id) clears the failures of its
// address.
func TestAddrBookLearnConnectedClearsFailures(t *testing.T) {
	b, now := testBook(10, false)
	b.learn("a:1", "", "", "peer", now)
	for range 2 {
		b.claim("a:1")
		b.dialed("a:1", Peer{}, errors.New("refused"), now)
	}
	b.learn("a:1", "00000000000000aa", "alice", "inbound", now)
	if k := b.snapshot(nil, now)[0]; k.Failures != 0 || k.Name != "alice" || k.State != "new" || k.Source != "peer" {
		t.Fatalf("after an inbound connection: %+v, want no failures, the name, the first source kept", k)
	}
}

// A full table makes room by evicting the address that failed most, never
// a bootstrap address; if only those are left, the new one is dropped.
func TestAddrBookIsBounded(t *testing.T) {
	b, now := testBook(3, false)
	b.learn("boot:1", "", "", "join", now)
	b.learn("a:1", "", "", "peer", now)
	b.learn("b:1", "", "", "peer", now)
	b.claim("b:1")
	b.dialed("b:1", Peer{}, errors.New("refused"), now)
	b.learn("c:1", "", "", "peer", now)
	if st := states(b, now); len(st) != 3 || st["b:1"] != "" || st["boot:1"] == "" {
		t.Fatalf("table after a 4th address = %v, want b:1 (failed) evicted, boot:1 kept", st)
	}
	// An address being dialed stays, however often it failed.
	for range 2 {
		b.claim("a:1")
		b.dialed("a:1", Peer{}, errors.New("refused"), now)
	}
	b.claim("a:1")
	b.claim("c:1")
	b.dialed("c:1", Peer{}, errors.New("refused"), now)
	b.learn("d:1", "", "", "peer", now)
	if st := states(b, now); len(st) != 3 || st["a:1"] != "dialing" || st["c:1"] != "" {
		t.Fatalf("table after a 5th address = %v, want a:1 (being dialed) kept and c:1 evicted", st)
	}
	// Among equal failures, the one that worked longest ago goes.
	aged, now := testBook(2, false)
	aged.learn("x:1", "00000000000000aa", "x", "inbound", now)
	aged.learn("y:1", "00000000000000bb", "y", "inbound", now.Add(time.Minute))
	aged.learn("z:1", "", "", "peer", now.Add(2*time.Minute))
	if st := states(aged, now); st["x:1"] != "" || st["y:1"] == "" {
		t.Fatalf("table = %v, want x:1 (worked longest ago) evicted", st)
	}
	full, now := testBook(2, false)
	full.learn("boot:1", "", "", "join", now)
	full.learn("boot:2", "", "", "join", now)
	full.learn("x:1", "", "", "peer", now)
	if st := states(full, now); len(st) != 2 || st["x:1"] != "" {
		t.Fatalf("table of bootstrap addresses = %v, want x:1 dropped", st)
	}
}

// A dropped peer's address is redialed after one backoff period.
func TestAddrBookPeerDown(t *testing.T) {
	b, now := testBook(10, false)
	b.learn("a:1", "00000000000000aa", "alice", "connect", now)
	b.peerDown("a:1", now)
	if len(b.due(nil, now.Add(time.Second-time.Millisecond))) != 0 || len(b.due(nil, now.Add(time.Second))) != 1 {
		t.Fatal("a dropped peer's address is not due exactly one backoff later")
	}
}

// GETPEERS is answered with addresses that worked, never the asker's,
// never twice, and no more than the limit.
func TestAddrBookWorking(t *testing.T) {
	b, now := testBook(10, false)
	b.learn("a:1", "00000000000000aa", "a", "connect", now)
	b.learn("b:1", "00000000000000bb", "b", "connect", now)
	b.learn("new:1", "", "", "peer", now)
	got := b.working([]string{"b:1"}, "a:1", 10)
	if len(got) != 1 || got[0] != "b:1" {
		t.Fatalf("working = %v, want [b:1] (a:1 is the asker, new:1 never worked, b:1 not twice)", got)
	}
	b.learn("c:1", "00000000000000cc", "c", "connect", now)
	if got := b.working(nil, "", 1); len(got) != 1 {
		t.Fatalf("working with limit 1 = %v", got)
	}
	// An address that worked and then turned out to be this node is not
	// handed out.
	b.claim("c:1")
	b.dialed("c:1", Peer{}, &RefusedError{Reason: "connection to self", err: ErrSelf}, now)
	if got := b.working(nil, "", 10); slices.Contains(got, "c:1") {
		t.Fatalf("working = %v, want no self address", got)
	}
}

// The snapshot is sorted by address and says what each address is: a
// connected peer (by address or by node id, with the peer's name, seen
// now), being dialed, failed, new or this node.
func TestAddrBookSnapshot(t *testing.T) {
	b, now := testBook(10, false)
	for _, a := range []string{"e:1", "d:1", "c:1", "b:1", "a:1"} {
		b.learn(a, "", "", "peer", now)
	}
	b.learn("b:1", "00000000000000bb", "bob", "inbound", now)
	b.claim("c:1")
	b.claim("d:1")
	b.dialed("d:1", Peer{}, errors.New("refused"), now)
	b.claim("e:1")
	b.dialed("e:1", Peer{}, ErrSelf, now)
	later := now.Add(time.Minute)
	got := b.snapshot(map[string]string{"a:1": "ann", "00000000000000bb": "bobby"}, later)
	want := []KnownAddr{
		{Addr: "a:1", Name: "ann", State: "connected", LastSeen: later, Source: "peer"},
		{Addr: "b:1", Name: "bobby", State: "connected", LastSeen: later, Source: "peer"},
		{Addr: "c:1", State: "dialing", Source: "peer"},
		{Addr: "d:1", State: "failed", Failures: 1, NextTry: now.Add(time.Second), Source: "peer"},
		{Addr: "e:1", State: "self", Source: "peer"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("snapshot =\n%+v\nwant\n%+v", got, want)
	}
	if k := b.snapshot(nil, later)[1]; k.State != "new" || k.Name != "bob" || !k.LastSeen.Equal(now) {
		t.Fatalf("b:1 not connected = %+v, want new, its name, last seen when it connected", k)
	}
}
