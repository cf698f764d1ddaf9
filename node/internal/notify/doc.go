// Package notify has Signal, the one way the node's types wake every
// goroutine waiting for a change of state guarded by their mutex (room in
// a send queue, data or a deadline in an in-memory connection).
package notify
