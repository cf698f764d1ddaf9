// Package notify has Signal, the one way this project wakes every
// goroutine waiting for a change of state guarded by a mutex: room in a
// send queue, data or a deadline in an in-memory connection, an event a
// script's wait is looking for. It is public so that package script can
// use it too.
package notify
