// Package broadcast holds the rules by which a message spreads, as state
// machines without I/O: events go in (a message from a peer, a local
// send, a peer up or down) and actions come out (send this message to that
// peer, deliver it). No goroutines, sockets or clocks inside, so the very
// same rule runs in a simulator of a hundred thousand nodes on a virtual
// clock (package node/sim) and, deterministically, in tests.
//
// Flood is the tutorial's rule. A tree rule (Plumtree) is to sit beside it
// behind the same interface (issue 12).
package broadcast
