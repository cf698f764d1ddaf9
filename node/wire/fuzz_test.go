package wire

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzDecoder feeds arbitrary bytes to the frame reader. It must never
// panic, must fail only with a *ProtocolError or an end of input, and every
// MSG it accepts must survive a round trip through the encoder.
// Seeds are in testdata/fuzz/FuzzDecoder; CI runs them as ordinary tests.
func FuzzDecoder(f *testing.F) {
	for _, s := range []string{
		"HELLO 1 3f2a9c0d1e2b4a5c alice 127.0.0.1:55555\n",
		"MSG 3f2a9c0d1e2b4a5c-1 1 alice hello\nMSG 3f2a9c0d1e2b4a5c-2 2 b t\n",
		"ERR nope\nBYE bye\nPING\nSTATUS 1\n",
		"MSG 00000000000000aa-1 65536 o t\n",
		"\xff\xfe\n",
		"MSG 00000000000000aa-1 1 o " + strings.Repeat("x", 300) + "\n",
		"HELLO 2 3f2a9c0d1e2b4a5c alice - max-line=512 key=" + testKey + " nonce=" + testNonce + "\nAUTH " + testSig + "\n",
		"SMSG 1 " + testSig + " " + testKey + " 17 1700000000000 alice hi there\n",
		"SMSG 1 " + testSig + " " + testKey + " 017 1700000000000 alice leading zero\n",
		"IHAVE 3f2a9c0d1e2b4a5c-1@2 3f2a9c0d1e2b4a5c-2@3\nGRAFT 3f2a9c0d1e2b4a5c-1 3f2a9c0d1e2b4a5c\nPRUNE 3f2a9c0d1e2b4a5c\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewReader(bytes.NewReader(data), 64, 256)
		for i := 0; i < 10_000; i++ {
			fr, _, err := d.Next()
			if err != nil {
				var pe *ProtocolError
				if errors.As(err, &pe) || err == io.EOF || err == io.ErrUnexpectedEOF {
					if errors.As(err, &pe) && strings.ContainsAny(pe.Error(), "\n\r") {
						t.Fatalf("error %q is not one line", pe.Error())
					}
					return
				}
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			if fr.Kind == KindSignedMsg {
				// Relaying re-encodes the hops and the signature before the
				// signed part it received: the round trip must keep them all.
				line := EncodeSignedMsg(fr.Hops, string(fr.Sig), fr.Signed)
				var back Frame
				if err := parseFrame([]byte(strings.TrimSuffix(line, "\n")), &back); err != nil {
					t.Fatalf("re-encoded %q does not parse: %v", line, err)
				}
				if back.Hops != fr.Hops || string(back.Sig) != string(fr.Sig) || string(back.Key) != string(fr.Key) ||
					back.Seq != fr.Seq || back.Time != fr.Time || string(back.Origin) != string(fr.Origin) ||
					string(back.Text) != string(fr.Text) || string(back.Signed) != string(fr.Signed) {
					t.Fatalf("round trip changed the signed Frame: %q", line)
				}
				if got := SignedPart(string(fr.Key), fr.Seq, fr.Time, string(fr.Origin), string(fr.Text)); string(got) != string(fr.Signed) {
					t.Fatalf("SignedPart(fields) = %q, but the frame's signed bytes are %q", got, fr.Signed)
				}
				continue
			}
			if fr.Kind != KindMsg {
				continue
			}
			line := EncodeMsg(string(fr.ID), fr.Hops, fr.Origin, fr.Text)
			var back Frame
			if err := parseFrame([]byte(strings.TrimSuffix(line, "\n")), &back); err != nil {
				t.Fatalf("re-encoded %q does not parse: %v", line, err)
			}
			if string(back.ID) != string(fr.ID) || back.Hops != fr.Hops ||
				string(back.Origin) != string(fr.Origin) || string(back.Text) != string(fr.Text) {
				t.Fatalf("round trip changed the Frame: %q", line)
			}
		}
	})
}
