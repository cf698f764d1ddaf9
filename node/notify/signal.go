package notify

// Signal wakes every goroutine waiting for a change, as many times as
// things change: a waiter takes the channel from Wait and blocks on it;
// Broadcast closes that channel, waking all who took it, and the next Wait
// gets a new one.
//
// A Signal has no lock of its own: the mutex of its owner guards it, the
// same mutex that guards the state whose changes it announces. A waiter
// checks the state and calls Wait with the mutex held, then unlocks and
// blocks; whoever changes the state calls Broadcast before unlocking. So
// no change between the check and the block goes unnoticed.
//
// The zero value is ready to use. A channel is made only when someone
// waits, so a Broadcast that nobody waits for costs nothing.
type Signal struct{ ch chan struct{} }

// Wait returns the channel that the next Broadcast closes.
func (s *Signal) Wait() <-chan struct{} {
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

// Broadcast wakes everyone who called Wait since the last Broadcast.
func (s *Signal) Broadcast() {
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}
