package identity

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSignAndVerify(t *testing.T) {
	k, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := Generate()
	signed := []byte("KEY 17 1700000000000 alice hello")
	sigText := k.SignMessage(signed)
	if len(sigText) != EncodedSigLen || len(k.PublicText()) != EncodedKeyLen {
		t.Fatalf("wire lengths: sig %d key %d", len(sigText), len(k.PublicText()))
	}
	var kb, sb [SignatureSize + 2]byte
	pub, err := DecodeKey(kb[:], []byte(k.PublicText()))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := DecodeSig(sb[:], []byte(sigText))
	if err != nil {
		t.Fatal(err)
	}
	if !VerifyMessage(pub, signed, sig) {
		t.Fatal("a genuine signature does not verify")
	}
	if VerifyMessage(pub, []byte("KEY 17 1700000000000 alice hellO"), sig) {
		t.Fatal("a changed text verifies")
	}
	if VerifyMessage(other.Public(), signed, sig) {
		t.Fatal("another key verifies")
	}
	// A message signature is not a handshake proof, and the other way round.
	if VerifyProof(pub, signed, sig) {
		t.Fatal("a message signature passes as a handshake proof")
	}
	proof, _ := DecodeSig(sb[:], []byte(k.SignProof(signed)))
	if VerifyMessage(pub, signed, proof) {
		t.Fatal("a handshake proof passes as a message signature")
	}
}

func TestDecodeRefusesOtherSpellings(t *testing.T) {
	k, _ := Generate()
	var buf [SignatureSize + 2]byte
	text := k.PublicText()
	for _, bad := range []string{"", text[:42], text + "A", strings.Repeat("!", 43), text[:42] + "="} {
		if _, err := DecodeKey(buf[:], []byte(bad)); err == nil {
			t.Errorf("DecodeKey(%q) accepted", bad)
		}
	}
	// The last character of a 43-character key carries 2 unused bits: a
	// second spelling with them set must be refused (strict decoding).
	last := text[42]
	alphabet := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, last)
	twin := text[:42] + string(alphabet[i^1])
	if _, err := DecodeKey(buf[:], []byte(twin)); err == nil {
		t.Errorf("DecodeKey accepted %q, a second spelling of %q", twin, text)
	}
}

func TestNodeIDIsDerivedFromTheKey(t *testing.T) {
	a, _ := Generate()
	b, _ := Generate()
	if a.ID() == b.ID() || len(a.ID()) != 16 || a.ID() != NodeID(a.Public()) {
		t.Fatalf("ids %q %q", a.ID(), b.ID())
	}
}

func TestTranscriptBindsRoleNoncesAndIDs(t *testing.T) {
	base := Transcript(true, []byte("n1"), []byte("n2"), "a", "b", nil)
	for name, other := range map[string][]byte{
		"role":    Transcript(false, []byte("n1"), []byte("n2"), "a", "b", nil),
		"nonces":  Transcript(true, []byte("n2"), []byte("n1"), "a", "b", nil),
		"ids":     Transcript(true, []byte("n1"), []byte("n2"), "b", "a", nil),
		"binding": Transcript(true, []byte("n1"), []byte("n2"), "a", "b", []byte("x")),
	} {
		if string(other) == string(base) {
			t.Errorf("changing the %s leaves the transcript the same", name)
		}
	}
}

func TestFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "alice.pem")
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Created {
		t.Fatal("a new file is not reported as created")
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %04o, want 0600", fi.Mode().Perm())
	}
	id := f.ID()
	if _, err := Open(path); !errors.Is(err, ErrInUse) {
		t.Fatalf("a second open while the first holds it: %v, want ErrInUse", err)
	}
	f.Close()
	g, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if g.Created || g.ID() != id {
		t.Fatalf("reopened: created %v id %s, want the same identity %s", g.Created, g.ID(), id)
	}
}

func TestFileRefusals(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]struct {
		content string
		mode    os.FileMode
		want    string
	}{
		"open.pem":  {"x", 0o644, "chmod 600"},
		"empty.pem": {"", 0o600, "empty"},
		"junk.pem":  {"hello", 0o600, "not a PEM"},
		"rsa.pem":   {"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", 0o600, "bad key"},
	}
	for name, c := range cases {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(c.content), c.mode)
		os.Chmod(path, c.mode)
		_, err := Open(path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, c.want)
		}
	}
}

// TestVerifyAgreesWithStdlib: verify (curve25519-voi) says yes exactly
// where crypto/ed25519 does: genuine signatures, flipped bits anywhere,
// another context, another key.
func TestVerifyAgreesWithStdlib(t *testing.T) {
	k, _ := Generate()
	other, _ := Generate()
	msg := []byte("KEY 1 1700000000000 alice agree")
	sig := k.sign(msgContext, msg)
	std := func(pub ed25519.PublicKey, ctx string, m, s []byte) bool {
		return ed25519.VerifyWithOptions(pub, m, s, &ed25519.Options{Context: ctx}) == nil
	}
	cache := NewKeyCache(2)
	check := func(what string, pub ed25519.PublicKey, ctx string, m, s []byte) {
		t.Helper()
		want := std(pub, ctx, m, s)
		if got := verify(pub, ctx, m, s); got != want {
			t.Errorf("%s: verify says %v, crypto/ed25519 %v", what, got, want)
		}
		if ctx == msgContext {
			if got := cache.VerifyMessage(pub, m, s); got != want {
				t.Errorf("%s: KeyCache.VerifyMessage says %v, crypto/ed25519 %v", what, got, want)
			}
		}
	}
	check("genuine", k.Public(), msgContext, msg, sig)
	check("other context", k.Public(), authContext, msg, sig)
	check("other key", other.Public(), msgContext, msg, sig)
	for i := range len(sig) * 8 {
		s := append([]byte(nil), sig...)
		s[i/8] ^= 1 << (i % 8)
		check(fmt.Sprintf("signature bit %d", i), k.Public(), msgContext, msg, s)
	}
	for i := range len(msg) * 8 {
		m := append([]byte(nil), msg...)
		m[i/8] ^= 1 << (i % 8)
		check(fmt.Sprintf("message bit %d", i), k.Public(), msgContext, m, sig)
	}
	// S + L: the same point, a non-canonical scalar; both must refuse it.
	s := append([]byte(nil), sig...)
	l := []byte{0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}
	carry := 0
	for i := range 32 {
		v := int(s[32+i]) + int(l[i]) + carry
		s[32+i], carry = byte(v), v>>8
	}
	check("non-canonical S", k.Public(), msgContext, msg, s)
	// Keys that are odd points: the identity (small order), the same with
	// a non-canonical y (p+1), and bytes that are no point at all.
	identity := make([]byte, 32)
	identity[0] = 1
	nonCanonical := []byte{0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}
	notAPoint := make([]byte, 32)
	notAPoint[0] = 2
	for name, pub := range map[string][]byte{"identity key": identity, "non-canonical key": nonCanonical, "not a point": notAPoint} {
		check(name, pub, msgContext, msg, sig)
		// A signature with R the identity and S zero: what a small-order
		// key's forger would try.
		forged := append(append([]byte(nil), identity...), make([]byte, 32)...)
		check(name+", forged signature", pub, msgContext, msg, forged)
	}
}

// TestSignAgreesWithStdlib: sign (curve25519-voi) makes the very bytes
// crypto/ed25519 makes, for both contexts and many messages.
func TestSignAgreesWithStdlib(t *testing.T) {
	k, _ := Generate()
	for i := range 200 {
		msg := []byte(fmt.Sprintf("KEY %d 1700000000000 alice %s", i, strings.Repeat("x", i)))
		for _, ctx := range []string{msgContext, authContext} {
			want, err := k.priv.Sign(nil, msg, &ed25519.Options{Context: ctx})
			if err != nil {
				t.Fatal(err)
			}
			if got := k.sign(ctx, msg); !bytes.Equal(got, want) {
				t.Fatalf("message %d, context %q: voi signs %x, crypto/ed25519 %x", i, ctx, got, want)
			}
		}
	}
}
