// Package memnet is an in-memory transport.Transport: listeners are found
// by address in a map, and a connection is a pair of bounded byte buffers
// with deadlines and half-close, so a node behaves as it does over TCP
// (a full buffer blocks the writer; a deadline ends a blocked read or
// write with a timeout error). Its conns pass golang.org/x/net/nettest's
// TestConn. Because nothing in it touches the operating system, a whole
// network of nodes runs inside a testing/synctest bubble on a fake clock.
package memnet
