// Package store keeps what a node must not forget across restarts, in one
// embedded database file (go.etcd.io/bbolt: a single file, transactions
// that are all or nothing, readable after a crash at any moment, no cgo):
// the history of signed messages it delivered or sent, for every origin
// the number up to which it delivered everything, and its known
// addresses. See
// docs/catch-up.md.
//
// A Store is written by one goroutine of the node (Commit) and read once
// at start (Load, Floors). The file is locked while it is open, so two
// processes cannot share a data directory.
package store
