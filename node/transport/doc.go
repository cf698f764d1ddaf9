// Package transport is the seam between a node and the network: a
// Transport listens and dials, and returns plain net.Conns. TCP is the
// real one; package memnet is an in-memory one that runs many nodes in one
// process (tests, the simulator), with the same code paths as TCP:
// bounded buffers, deadlines and half-close.
package transport
