package notify

import "testing"

// A Broadcast wakes everyone who waited since the last one, and only
// them; with nobody waiting it does nothing.
func TestSignal(t *testing.T) {
	var s Signal
	s.Broadcast() // nobody waits: nothing to close
	a, b := s.Wait(), s.Wait()
	if a != b {
		t.Fatal("two waits before a broadcast got different channels")
	}
	s.Broadcast()
	for _, ch := range []<-chan struct{}{a, b} {
		select {
		case <-ch:
		default:
			t.Fatal("broadcast did not wake a waiter")
		}
	}
	c := s.Wait()
	select {
	case <-c:
		t.Fatal("a wait after the broadcast is already woken")
	default:
	}
	if n := testing.AllocsPerRun(100, s.Broadcast); n != 0 {
		t.Fatalf("a broadcast that nobody waits for allocates %v times", n)
	}
}
