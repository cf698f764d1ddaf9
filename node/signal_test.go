package node

import "testing"

// A broadcast wakes everyone who waited since the last one, and only
// them; with nobody waiting it does nothing.
func TestSignal(t *testing.T) {
	var s signal
	s.broadcast() // nobody waits: nothing to close
	a, b := s.wait(), s.wait()
	if a != b {
		t.Fatal("two waits before a broadcast got different channels")
	}
	s.broadcast()
	for _, ch := range []<-chan struct{}{a, b} {
		select {
		case <-ch:
		default:
			t.Fatal("broadcast did not wake a waiter")
		}
	}
	c := s.wait()
	select {
	case <-c:
		t.Fatal("a wait after the broadcast is already woken")
	default:
	}
	if n := testing.AllocsPerRun(100, s.broadcast); n != 0 {
		t.Fatalf("a broadcast that nobody waits for allocates %v times", n)
	}
}
