package identity

import (
	"strings"
	"testing"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// BenchmarkSignMessage and BenchmarkVerifyMessage are a signed message's
// cryptography: the origin signs once, each node that delivers it verifies
// once. docs/performance.md computes the signed chain's bound from them.
func BenchmarkSignMessage(b *testing.B) {
	k, err := Generate()
	if err != nil {
		b.Fatal(err)
	}
	signed := []byte(strings.Repeat("x", 200))
	for b.Loop() {
		k.SignMessage(signed)
	}
}

func BenchmarkVerifyMessage(b *testing.B) {
	k, err := Generate()
	if err != nil {
		b.Fatal(err)
	}
	signed := []byte(strings.Repeat("x", 200))
	sig, err := DecodeSig(make([]byte, 2*SignatureSize), []byte(k.SignMessage(signed)))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !VerifyMessage(k.Public(), signed, sig) {
			b.Fatal("does not verify")
		}
	}
}

func BenchmarkVerifyExpandedVoi(b *testing.B) {
	k, _ := Generate()
	signed := []byte(strings.Repeat("x", 200))
	sig, _ := DecodeSig(make([]byte, 2*SignatureSize), []byte(k.SignMessage(signed)))
	ek, err := voi.NewExpandedPublicKey(voi.PublicKey(k.Public()))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !voi.VerifyExpandedWithOptions(ek, signed, sig, &voi.Options{Context: msgContext, Verify: voi.VerifyOptionsStdLib}) {
			b.Fatal("no")
		}
	}
}

func BenchmarkSignVoi(b *testing.B) {
	seed := make([]byte, 32)
	priv := voi.NewKeyFromSeed(seed)
	signed := []byte(strings.Repeat("x", 200))
	for b.Loop() {
		priv.Sign(nil, signed, &voi.Options{Context: msgContext})
	}
}
