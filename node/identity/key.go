package identity

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// PublicKeySize and SignatureSize are the sizes of a raw key and signature.
// EncodedKeyLen and EncodedSigLen are the lengths of their text forms on
// the wire (unpadded base64url).
const (
	PublicKeySize = ed25519.PublicKeySize
	SignatureSize = ed25519.SignatureSize
	EncodedKeyLen = 43
	EncodedSigLen = 86
)

// The contexts of the two kinds of signature (Ed25519ctx). A change of the
// signed bytes' layout must change its context.
const (
	authContext = "p2p/2 handshake proof"
	msgContext  = "p2p/2 message"
)

// b64 is the text form of keys and signatures: unpadded base64url, strict,
// so a value has exactly one spelling.
var b64 = base64.RawURLEncoding.Strict()

// Key is a node's private key. The zero value is not usable; make one with
// Generate or Load.
type Key struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
	id   string
	text string // the public key's wire form
}

// Generate makes a new random key: a throwaway identity, or the first of
// a key file.
func Generate() (*Key, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("identity: new key: %w", err)
	}
	return fromPrivate(priv), nil
}

// FromSeed makes the key of a 32-byte seed (RFC 8032's private key):
// the same seed gives the same key, for tests and fuzzing.
func FromSeed(seed []byte) (*Key, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("identity: a seed has %d bytes, not %d", ed25519.SeedSize, len(seed))
	}
	return fromPrivate(ed25519.NewKeyFromSeed(seed)), nil
}

func fromPrivate(priv ed25519.PrivateKey) *Key {
	pub := priv.Public().(ed25519.PublicKey)
	return &Key{priv: priv, pub: pub, id: NodeID(pub), text: EncodeKey(pub)}
}

// ID is the node id derived from the public key (see NodeID).
func (k *Key) ID() string { return k.id }

// Public returns the public key. PublicText returns its wire form.
func (k *Key) Public() ed25519.PublicKey { return k.pub }
func (k *Key) PublicText() string        { return k.text }

// NodeID derives a node id from a public key: the first 8 bytes of its
// SHA-256, as 16 lower-case hex digits (the shape of a protocol 1 node id).
// Taking another node's id means finding a key whose hash starts with the
// same 64 bits: about 2^64 tries.
func NodeID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// EncodeKey and EncodeSig return the wire form of a key or a signature.
func EncodeKey(pub ed25519.PublicKey) string { return b64.EncodeToString(pub) }
func EncodeSig(sig []byte) string            { return b64.EncodeToString(sig) }

// ErrBadKey and ErrBadSig are a key or signature whose text form does not
// decode to the right number of bytes.
var (
	ErrBadKey = errors.New("not an ed25519 public key (43 characters of base64url)")
	ErrBadSig = errors.New("not an ed25519 signature (86 characters of base64url)")
)

// DecodeKey parses the wire form of a public key into dst (which must have
// room for PublicKeySize bytes) without allocating.
func DecodeKey(dst []byte, text []byte) (ed25519.PublicKey, error) {
	if len(text) != EncodedKeyLen {
		return nil, ErrBadKey
	}
	n, err := b64.Decode(dst[:cap(dst)][:PublicKeySize+2], text)
	if err != nil || n != PublicKeySize {
		return nil, ErrBadKey
	}
	return ed25519.PublicKey(dst[:PublicKeySize]), nil
}

// DecodeSig parses the wire form of a signature into dst (cap at least
// SignatureSize+2).
func DecodeSig(dst []byte, text []byte) ([]byte, error) {
	if len(text) != EncodedSigLen {
		return nil, ErrBadSig
	}
	n, err := b64.Decode(dst[:cap(dst)][:SignatureSize+2], text)
	if err != nil || n != SignatureSize {
		return nil, ErrBadSig
	}
	return dst[:SignatureSize], nil
}

// SignMessage signs the signed part of a message (see wire.SignedPart) and
// returns the signature's wire form.
func (k *Key) SignMessage(signed []byte) string { return EncodeSig(k.sign(msgContext, signed)) }

// VerifyMessage reports whether sig is pub's signature of a message's
// signed part.
func VerifyMessage(pub ed25519.PublicKey, signed, sig []byte) bool {
	return verify(pub, msgContext, signed, sig)
}

// SignProof signs a handshake transcript (see Transcript).
func (k *Key) SignProof(transcript []byte) string { return EncodeSig(k.sign(authContext, transcript)) }

// VerifyProof reports whether sig is pub's signature of a handshake
// transcript.
func VerifyProof(pub ed25519.PublicKey, transcript, sig []byte) bool {
	return verify(pub, authContext, transcript, sig)
}

// sign makes an Ed25519ctx signature with curve25519-voi, which signs in
// about 14 µs here where crypto/ed25519 takes 28 µs (the origin signs
// every message it sends). Ed25519 signatures are deterministic: both give
// the same bytes (TestSignAgreesWithStdlib).
func (k *Key) sign(context string, b []byte) []byte {
	sig, err := voi.PrivateKey(k.priv).Sign(nil, b, &voi.Options{Hash: crypto.Hash(0), Context: context})
	if err != nil {
		panic("identity: ed25519 sign: " + err.Error()) // only for a context over 255 bytes
	}
	return sig
}

// verify checks an Ed25519ctx signature with curve25519-voi, which
// verifies in about 29 µs here where crypto/ed25519 takes 52 µs (a relay
// verifies every message it forwards, so this is most of its CPU), with
// the options that accept exactly what crypto/ed25519 accepts.
// TestVerifyAgreesWithStdlib compares the two.
func verify(pub ed25519.PublicKey, context string, b, sig []byte) bool {
	if len(pub) != PublicKeySize || len(sig) != SignatureSize {
		return false
	}
	return voi.VerifyWithOptions(voi.PublicKey(pub), b, sig, &voi.Options{Context: context, Verify: voi.VerifyOptionsStdLib})
}

// Transcript is what each side of a handshake signs: its role, both
// nonces (the other side's first, so a proof answers a fresh challenge),
// both node ids, and the encrypted channel's binding when the link has
// one (nil otherwise), so a proof cannot be replayed on another connection
// or reflected back to its sender.
func Transcript(dialer bool, theirNonce, ourNonce []byte, ourID, theirID string, binding []byte) []byte {
	role := "acceptor"
	if dialer {
		role = "dialer"
	}
	b := make([]byte, 0, 128+len(binding))
	b = append(b, role...)
	b = append(b, 0)
	b = append(b, theirNonce...)
	b = append(b, 0)
	b = append(b, ourNonce...)
	b = append(b, 0)
	b = append(b, ourID...)
	b = append(b, 0)
	b = append(b, theirID...)
	b = append(b, 0)
	return append(b, binding...)
}

// NonceSize is the size of a handshake nonce; EncodedNonceLen its wire
// length.
const (
	NonceSize       = 16
	EncodedNonceLen = 22
)

// NewNonce returns a fresh random nonce in its wire form.
func NewNonce() string {
	var b [NonceSize]byte
	rand.Read(b[:])
	return b64.EncodeToString(b[:])
}
