package node

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/p2p-chat/p2p/node/identity"
	"github.com/p2p-chat/p2p/node/wire"
)

// FuzzHandshake plays the dialer's side of a handshake with arbitrary
// bytes against the checks a node makes of it: every HELLO goes through
// checkHello, every AUTH through checkProof, every SMSG through the
// signed message's derivation and verification. None may panic; a HELLO
// accepted on a signed link has a key whose id is its node id; no proof
// and no message verifies unless it was really signed (the fuzzer cannot
// sign). Seeds in testdata/fuzz/FuzzHandshake run as ordinary tests.
func FuzzHandshake(f *testing.F) {
	// A fixed key, so the seeds mean the same in every fuzzing process.
	k, _ := identity.FromSeed(bytes.Repeat([]byte{7}, 32))
	nonce := "AAAAAAAAAAAAAAAAAAAAAA"
	helloLine := wire.EncodeHello(2, k.ID(), "fuzz", "", 1024, k.PublicText(), nonce)
	signed := wire.SignedPart(k.PublicText(), 1, 1700000000000, "fuzz", "hi")
	for _, s := range []string{
		helloLine + "AUTH " + strings.Repeat("A", identity.EncodedSigLen) + "\n",
		helloLine + wire.EncodeSignedMsg(1, k.SignMessage(signed), signed),
		"HELLO 1 00000000000000aa old -\nMSG 00000000000000aa-1 1 old hi\n",
		"HELLO 2 00000000000000aa x - key=" + k.PublicText() + " nonce=" + nonce + "\n",
		"HELLO 9 " + k.ID() + " x 127.0.0.1:1 max-line=512 key=" + k.PublicText() + " nonce=" + nonce + " more=1\n",
	} {
		f.Add([]byte(s))
	}
	self, _ := identity.Generate()
	n := &Node{cfg: Config{AllowUnsigned: true}, version: wire.Version, key: self, id: self.ID()}
	ourNonce := identity.NewNonce()
	f.Fuzz(func(t *testing.T, data []byte) {
		d := wire.NewReader(bytes.NewReader(data), 64, 1024)
		var h hello
		var keyBuf [identity.PublicKeySize + 2]byte
		var sigBuf [identity.SignatureSize + 2]byte
		for i := 0; i < 100; i++ {
			fr, _, err := d.Next()
			if err != nil {
				var pe *ProtocolError
				if errors.As(err, &pe) || err == io.EOF || err == io.ErrUnexpectedEOF {
					return
				}
				t.Fatalf("unexpected error %T: %v", err, err)
			}
			switch fr.Kind {
			case wire.KindHello:
				got, err := n.checkHello(fr)
				if err == nil && got.signed() && identity.NodeID(got.key) != got.id {
					t.Fatalf("accepted HELLO whose id %s is not its key's", got.id)
				}
				if err == nil {
					h = got
				}
			case wire.KindAuth:
				if h.key == nil {
					continue
				}
				if n.checkProof(fr, false, h, ourNonce, nil) == nil {
					t.Fatalf("a proof over our fresh nonce verified: %q", fr.Sig)
				}
			case wire.KindSignedMsg:
				pub, _, id, ok := originOf(keyBuf[:], fr.Key, fr.Seq)
				if !ok {
					continue
				}
				if !strings.HasPrefix(id, identity.NodeID(pub)+"-") {
					t.Fatalf("id %s is not derived from its key", id)
				}
				sig, err := identity.DecodeSig(sigBuf[:], fr.Sig)
				if err == nil && identity.VerifyMessage(pub, fr.Signed, sig) && string(fr.Key) != k.PublicText() {
					t.Fatalf("a message verified under a key the fuzzer has no private half of")
				}
			}
		}
	})
}
