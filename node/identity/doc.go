// Package identity is a node's ed25519 key pair and what is derived from
// it: the node id, the proofs of the handshake and the signatures of
// messages. The key lives in a PEM file (PKCS #8, mode 0600) that a running
// node holds locked, so two processes never speak with one identity.
//
// Nothing here is hand-made cryptography: keys, signatures and hashes are
// the standard library's crypto/ed25519 and crypto/sha256. Signatures use
// Ed25519ctx with a context string per purpose, so a handshake proof can
// never be taken for a message signature or the other way round.
//
// See docs/security.md.
package identity
