package wire

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestParseFrameValid(t *testing.T) {
	tests := []struct {
		line string
		want Frame
	}{
		{"MSG 00000000000000ab-1 1 alice hello", Frame{Kind: KindMsg, ID: b("00000000000000ab-1"), Hops: 1, Origin: b("alice"), Text: b("hello")}},
		{"MSG 00000000000000ab-1 0 alice hello world  two spaces", Frame{Kind: KindMsg, ID: b("00000000000000ab-1"), Hops: 0, Origin: b("alice"), Text: b("hello world  two spaces")}},
		{"MSG 00000000000000ab-2 65535 o t", Frame{Kind: KindMsg, ID: b("00000000000000ab-2"), Hops: 65535, Origin: b("o"), Text: b("t")}},
		{"MSG 00000000000000ab-2 7 o tab\there", Frame{Kind: KindMsg, ID: b("00000000000000ab-2"), Hops: 7, Origin: b("o"), Text: b("tab\there")}},
		{"MSG 00000000000000ab-2 7 o héllo 世界", Frame{Kind: KindMsg, ID: b("00000000000000ab-2"), Hops: 7, Origin: b("o"), Text: b("héllo 世界")}},
		{"HELLO 1 3f2a9c0d1e2b4a5c alice 127.0.0.1:55555", Frame{Kind: KindHello, Version: 1, NodeID: b("3f2a9c0d1e2b4a5c"), Name: b("alice"), Listen: b("127.0.0.1:55555")}},
		{"HELLO 2 00000000000000aa bob [::1]:1 extra fields ignored", Frame{Kind: KindHello, Version: 2, NodeID: b("00000000000000aa"), Name: b("bob"), Listen: b("[::1]:1")}},
		{"HELLO 2 00000000000000aa bob - max-line=600 key=" + testKey + " nonce=" + testNonce, Frame{Kind: KindHello, Version: 2, NodeID: b("00000000000000aa"), Name: b("bob"), Listen: b("-"), MaxLine: 600, Key: b(testKey), Nonce: b(testNonce)}},
		{"AUTH " + testSig, Frame{Kind: KindAuth, Sig: b(testSig)}},
		{"SMSG 3 " + testSig + " " + testKey + " 17 1700000000000 alice hi  there", Frame{Kind: KindSignedMsg, Hops: 3, Sig: b(testSig), Key: b(testKey), Seq: 17, Time: 1700000000000, Origin: b("alice"), Text: b("hi  there"), Signed: b(testKey + " 17 1700000000000 alice hi  there")}},
		{"HELLO 1 00000000000000aa bob -", Frame{Kind: KindHello, Version: 1, NodeID: b("00000000000000aa"), Name: b("bob"), Listen: b("-")}},
		{"HELLO 1 00000000000000aa bob - max-line=1024 future=x", Frame{Kind: KindHello, Version: 1, NodeID: b("00000000000000aa"), Name: b("bob"), Listen: b("-"), MaxLine: 1024}},
		{"ERR something went wrong", Frame{Kind: KindErr, Reason: b("something went wrong")}},
		{"ERR", Frame{Kind: KindErr}},
		{"BYE node shutting down", Frame{Kind: KindBye, Reason: b("node shutting down")}},
		{"PING", Frame{Kind: KindPing}},
		{"PING anything after is ignored", Frame{Kind: KindPing}},
		{"STATUS 42", Frame{Kind: KindUnknown}},
		{"GETPEERS", Frame{Kind: KindGetPeers}},
		{"PEERS", Frame{Kind: KindPeers}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			var f Frame
			if err := parseFrame([]byte(tt.line), &f); err != nil {
				t.Fatalf("parseFrame(%q) = %v, want no error", tt.line, err)
			}
			f.Word = nil
			if !sameFrame(f, tt.want) {
				t.Errorf("parseFrame(%q) = %+v, want %+v", tt.line, f, tt.want)
			}
		})
	}
}

func TestParseFrameMalformed(t *testing.T) {
	tests := []struct {
		line string
		want string // part of the error
	}{
		{"", "empty line"},
		{"MSG", "MSG needs"},
		{"AUTH", "AUTH needs"},
		{"AUTH " + testSig + "=", "AUTH needs"},
		{"AUTH " + testSig[:85] + "!", "AUTH needs"},
		{"HELLO 2 00000000000000aa bob - key=short nonce=" + testNonce, "HELLO key"},
		{"HELLO 2 00000000000000aa bob - key=" + testKey + " nonce=x", "HELLO nonce"},
		{"SMSG 1 " + testSig + " " + testKey + " 17 1700000000000 alice", "SMSG needs"},
		{"SMSG 1 " + testSig + " " + testKey + " 17 1700000000000 alice ", "SMSG text is empty"},
		{"SMSG x " + testSig + " " + testKey + " 17 1700000000000 alice t", "hop count"},
		{"SMSG 1 " + testSig[1:] + " " + testKey + " 17 1700000000000 alice t", "SMSG signature"},
		{"SMSG 1 " + testSig + " " + testKey[1:] + " 17 1700000000000 alice t", "SMSG key"},
		{"SMSG 1 " + testSig + " " + testKey + " 0 1700000000000 alice t", "sequence number"},
		{"SMSG 1 " + testSig + " " + testKey + " 017 1700000000000 alice t", "sequence number"},
		{"SMSG 1 " + testSig + " " + testKey + " 9223372036854775808 1700000000000 alice t", "sequence number"},
		{"SMSG 1 " + testSig + " " + testKey + " 17 -1 alice t", "SMSG time"},
		{"SMSG 1 " + testSig + " " + testKey + " 17 1700000000000 al!ce t", "origin"},
		{"SMSG 1 " + testSig + " " + testKey + " 17 1700000000000 alice t\x01", "control character"},
		{"MSG id", "MSG needs"},
		{"MSG 00000000000000aa-1 1", "MSG needs"},
		{"MSG 00000000000000aa-1 1 origin", "MSG needs"},
		{"MSG  1 origin text", "message id"},
		{"MSG 00000000000000aa-1 1 origin ", "MSG text is empty"},
		{"MSG 00000000000000aa-0 1 origin text", "message id"},
		{"MSG 00000000000000AA-1 1 origin text", "message id"},
		{"MSG zzzzzzzzzzzzzzzz-1 1 origin text", "message id"},
		{"MSG 00000000000000aa-1x 1 origin text", "message id"},
		{"HELLO 1 zzzzzzzzzzzzzzzz name -", "node id"},
		{"HELLO 1 00000000000000a name -", "node id"},
		{"MSG 00000000000000aa-1  origin text", "hop count"},
		{"MSG 00000000000000aa-1 -1 origin text", "hop count"},
		{"MSG 00000000000000aa-1 +1 origin text", "hop count"},
		{"MSG 00000000000000aa-1 1e3 origin text", "hop count"},
		{"MSG 00000000000000aa-1 65536 origin text", "more than 65535"},
		{"MSG 00000000000000aa-1 99999999999999999999 origin text", "hop count"},
		{"MSG 00000000000000aa-1 1  text", "origin is empty"},
		{"MSG i/d 1 origin text", "message id"},
		{"MSG " + strings.Repeat("a", 65) + " 1 o t", "message id"},
		{"MSG 00000000000000aa-1 1 " + strings.Repeat("o", 65) + " t", "longer than 64"},
		{"MSG 00000000000000aa-1 1 o bell\a", "control character 0x07"},
		{"MSG 00000000000000aa-1 1 o esc\x1b[2J", "control character 0x1b"},
		{"MSG 00000000000000aa-1 1 o del\x7f", "control character 0x7f"},
		{"MSG 00000000000000aa-1 1 o nul\x00", "control character 0x00"},
		{"MSG 00000000000000aa-1 1 o \xff\xfe", "not valid UTF-8"},
		{"HELLO", "HELLO needs"},
		{"HELLO 1 00000000000000aa name", "HELLO needs"},
		{"HELLO x 00000000000000aa name addr", "not a number"},
		{"HELLO -1 00000000000000aa name addr", "not a number"},
		{"HELLO 1 i:d name addr", "node id"},
		{"HELLO 1 00000000000000aa na!me addr", "name"},
		{"HELLO 1 00000000000000aa name " + strings.Repeat("a", 256), "listen address"},
		{"HELLO 1 00000000000000aa name not-an-address", "not HOST:PORT"},
		{"HELLO 1 00000000000000aa name - max-line=12", "max-line"},
		{"HELLO 1 00000000000000aa name - max-line=x", "max-line"},
		{"HELLO 1 00000000000000aa name \x1b[2J:1", "not printable ASCII"},
		{"ERR bad\x01", "control character"},
		{"BYE bad\x1b", "control character"},
		{"msg id 1 o t", "frame type"},
		{"M!SG x", "frame type"},
		{" MSG 00000000000000aa-1 1 o t", "frame type"},
		{"PEERS nocolon", "not HOST:PORT"},
		{"PEERS " + strings.Repeat("1.2.3.4:5 ", 33), "more than 32"},
		{"PEERS " + strings.Repeat("a", 250) + ":12345", "longer than 255"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			var f Frame
			err := parseFrame([]byte(tt.line), &f)
			var pe *ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("parseFrame(%q) = %v, want a *ProtocolError", tt.line, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseFrame(%q) = %q, want it to mention %q", tt.line, err, tt.want)
			}
		})
	}
}

// A lowercase "msg" is not MSG: frame types are case-sensitive words, and
// only unknown well-formed words are ignored.
func TestParseFrameUnknownWordIsIgnorable(t *testing.T) {
	var f Frame
	if err := parseFrame([]byte("STATUS"), &f); err != nil || f.Kind != KindUnknown {
		t.Fatalf("parseFrame(STATUS) = %v, kind %v; want KindUnknown", err, f.Kind)
	}
}

func TestDecoderStream(t *testing.T) {
	in := "HELLO 1 00000000000000aa a -\r\nMSG 00000000000000aa-1 1 a one\nMSG 00000000000000aa-2 2 a two\n" +
		"MSG 00000000000000aa-3 1 a " + strings.Repeat("x", 300) + "\n"
	d := NewReader(strings.NewReader(in), 64, 1024) // lines longer than the buffer too
	var got []string
	for {
		f, n, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		if n == 0 {
			t.Fatal("next returned size 0 for a Frame")
		}
		switch f.Kind {
		case KindHello:
			got = append(got, "HELLO "+string(f.Name))
		case KindMsg:
			got = append(got, string(f.ID)+":"+string(f.Text))
		}
	}
	want := []string{"HELLO a", "00000000000000aa-1:one", "00000000000000aa-2:two", "00000000000000aa-3:" + strings.Repeat("x", 300)}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("decoded %q, want %q", got, want)
	}
}

func TestDecoderLineTooLong(t *testing.T) {
	for _, bufSize := range []int{64, 4096} {
		long := "MSG 00000000000000aa-1 1 a " + strings.Repeat("x", 2000) + "\nMSG 00000000000000aa-2 1 a fine\n"
		d := NewReader(strings.NewReader(long), bufSize, 1000)
		_, _, err := d.Next()
		var pe *ProtocolError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), "longer than 1000 bytes") {
			t.Fatalf("buffer %d: next = %v, want line too long", bufSize, err)
		}
	}
}

// A line exactly at the limit is accepted; one byte more is not.
func TestDecoderLimitBoundary(t *testing.T) {
	const max = 100
	prefix := "MSG 00000000000000aa-1 1 a "
	exact := prefix + strings.Repeat("x", max-len(prefix))
	for _, tt := range []struct {
		line string
		ok   bool
	}{{exact, true}, {exact + "x", false}} {
		for _, bufSize := range []int{16, 4096} {
			d := NewReader(strings.NewReader(tt.line+"\n"), bufSize, max)
			_, _, err := d.Next()
			if (err == nil) != tt.ok {
				t.Errorf("line of %d bytes, buffer %d: err = %v, want ok=%v", len(tt.line), bufSize, err, tt.ok)
			}
		}
	}
}

func TestDecoderTruncatedFrame(t *testing.T) {
	d := NewReader(strings.NewReader("MSG 00000000000000aa-1 1 a no newline"), 64, 1000)
	if _, _, err := d.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("next = %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestEncodeMsgRoundTrip(t *testing.T) {
	line := EncodeMsg("00000000000000ab-9", 3, []byte("bob"), []byte("hi there"))
	if line != "MSG 00000000000000ab-9 3 bob hi there\n" {
		t.Fatalf("EncodeMsg = %q", line)
	}
	var f Frame
	if err := parseFrame([]byte(strings.TrimSuffix(line, "\n")), &f); err != nil {
		t.Fatal(err)
	}
	if string(f.ID) != "00000000000000ab-9" || f.Hops != 3 || string(f.Origin) != "bob" || string(f.Text) != "hi there" {
		t.Fatalf("round trip = %+v", f)
	}
}

func TestEncodeControlFramesAreOneLine(t *testing.T) {
	for _, s := range []string{EncodeErr("a\nb\rc\x1b"), EncodeBye(strings.Repeat("z", 5000))} {
		if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
			t.Errorf("%q is not one line", s)
		}
		var f Frame
		if err := parseFrame([]byte(strings.TrimSuffix(s, "\n")), &f); err != nil {
			t.Errorf("our own Frame %q does not parse: %v", s, err)
		}
	}
}

func TestValidateText(t *testing.T) {
	for _, tt := range []struct {
		text string
		want error
	}{
		{"hello", nil},
		{"", ErrEmptyText},
		{"a\nb", ErrBadText},
		{"\xff", ErrBadText},
		{strings.Repeat("x", 11), ErrBadText},
	} {
		if err := ValidateText(tt.text, 10); !errors.Is(err, tt.want) {
			t.Errorf("ValidateText(%q) = %v, want %v", tt.text, err, tt.want)
		}
	}
}

func b(s string) []byte { return []byte(s) }

func sameFrame(a, b Frame) bool {
	eq := func(x, y []byte) bool { return string(x) == string(y) }
	return a.Kind == b.Kind && a.Version == b.Version && a.Hops == b.Hops && a.MaxLine == b.MaxLine &&
		eq(a.NodeID, b.NodeID) && eq(a.Name, b.Name) && eq(a.Listen, b.Listen) &&
		eq(a.ID, b.ID) && eq(a.Origin, b.Origin) && eq(a.Text, b.Text) && eq(a.Reason, b.Reason) &&
		eq(a.Key, b.Key) && eq(a.Nonce, b.Nonce) && eq(a.Sig, b.Sig) && a.Seq == b.Seq && a.Time == b.Time &&
		eq(a.Signed, b.Signed)
}

// Wire forms of a key, a nonce and a signature, of the right shapes (the
// wire does not check signatures; package identity does).
var (
	testKey   = strings.Repeat("k", 42) + "A"
	testNonce = strings.Repeat("n", 21) + "A"
	testSig   = strings.Repeat("s", 85) + "A"
)

func TestSignedPartIsTheTailOfTheLine(t *testing.T) {
	signed := SignedPart(testKey, 42, 1700000000123, "alice", "hello there")
	line := EncodeSignedMsg(7, testSig, signed)
	var f Frame
	if err := parseFrame([]byte(strings.TrimSuffix(line, "\n")), &f); err != nil {
		t.Fatal(err)
	}
	if string(f.Signed) != string(signed) || f.Seq != 42 || f.Time != 1700000000123 || f.Hops != 7 {
		t.Fatalf("parsed %+v from %q", f, line)
	}
	if n := len(line) - 1 - len("hello there"); MaxText(65536) > 65536-n {
		t.Fatalf("MaxText(65536) = %d leaves no room for the SMSG fields (%d bytes here)", MaxText(65536), n)
	}
}

// TestCheckControlAgreesWithTheByteLoop: the eight-bytes-at-a-time check
// refuses exactly what a plain loop over the bytes refuses, at the same
// byte, for every byte value at every position of every length to 24 and
// among UTF-8 text.
func TestCheckControlAgreesWithTheByteLoop(t *testing.T) {
	plain := func(b []byte) int {
		for i, c := range b {
			if c < 0x20 && c != '\t' || c == 0x7f {
				return i
			}
		}
		return -1
	}
	base := []byte("héllo wörld, 日本語 text\tx")
	for n := 0; n <= 24; n++ {
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				b := append([]byte(nil), base[:n]...)
				b[pos] = byte(c)
				want := plain(b)
				err := checkControl("text", b)
				errS := checkControl("text", string(b))
				if (err == nil) != (want < 0) || (errS == nil) != (want < 0) {
					t.Fatalf("%q: checkControl says %v (string: %v), the byte loop %d", b, err, errS, want)
				}
				if want >= 0 && !strings.Contains(err.Error(), fmt.Sprintf("at byte %d", want)) {
					t.Fatalf("%q: %v, want byte %d", b, err, want)
				}
			}
		}
	}
}

func BenchmarkCheckControl(b *testing.B) {
	text := []byte(strings.Repeat("a message of a hundred bytes, ", 4)[:100])
	for b.Loop() {
		if checkControl("text", text) != nil {
			b.Fatal("refused")
		}
	}
}

func BenchmarkCheckControlByteByByte(b *testing.B) {
	text := []byte(strings.Repeat("a message of a hundred bytes, ", 4)[:100])
	for b.Loop() {
		if checkControlBytes("text", text, 0, len(text)) != nil {
			b.Fatal("refused")
		}
	}
}
