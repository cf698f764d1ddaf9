// Package secure wraps a transport.Transport in the Noise protocol
// (github.com/flynn/noise, pattern NNpsk0, 25519, ChaChaPoly, BLAKE2s)
// keyed by a network's pre-shared key: only nodes that know the network's
// secret complete a handshake, and everything after it is encrypted and
// authenticated. A stranger's connection fails its first message and is
// closed before the node sees a byte of it.
//
// On the wire each Noise message (the two of the handshake, then one per
// chunk of at most 65,519 bytes of data) is a 2-byte big-endian length and
// the message. The end of a stream is an encrypted empty message, so a
// cut connection is told from a closed one. See docs/security.md.
package secure
