package node

// signal wakes every goroutine waiting for a change, as many times as
// things change: a waiter takes the channel from wait and blocks on it;
// broadcast closes that channel, waking all who took it, and the next wait
// gets a new one.
//
// A signal has no lock of its own: the mutex of its owner guards it, the
// same mutex that guards the state whose changes it announces. A waiter
// checks the state and calls wait with the mutex held, then unlocks and
// blocks; whoever changes the state calls broadcast before unlocking. So
// no change between the check and the block goes unnoticed.
//
// The zero value is ready to use. A channel is made only when someone
// waits, so a broadcast that nobody waits for costs nothing.
type signal struct{ ch chan struct{} }

// wait returns the channel that the next broadcast closes.
func (s *signal) wait() <-chan struct{} {
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

// broadcast wakes everyone who called wait since the last broadcast.
func (s *signal) broadcast() {
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}
