package script

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/p2p-chat/p2p/node"
)

// TestJSONStrings checks that hand-escaped strings are what encoding/json
// gives with HTML characters left alone, byte for byte.
func TestJSONStrings(t *testing.T) {
	var all strings.Builder
	for c := 0; c < 0x80; c++ {
		all.WriteByte(byte(c))
	}
	for _, s := range []string{"", "plain", `quote " backslash \ slash /`, "tab\tnl\nret\r", all.String(),
		"ünïcödé 日本 🎉", "\u2028\u2029 x\u2028", "<&>", "bad \xff utf8 \xc3", "\xe2\x80", "\x00\x1f\x7f\b\f"} {
		if got, want := appendJSONString(nil, s), encodingJSON(t, s); !bytes.Equal(got, want) {
			t.Errorf("%q encodes as %s, encoding/json gives %s", s, got, want)
		}
	}
}

// TestMessageLineIsEncodingJSON checks the hand-built message line against
// encoding/json, byte for byte.
func TestMessageLineIsEncodingJSON(t *testing.T) {
	for _, m := range []node.Message{
		{},
		{ID: "3f2a9c0d1e2b4a5c-1", Origin: "a", From: "b", Hops: 2, Text: "hello"},
		{ID: "x\"", Origin: "<o>", From: "\xff", Hops: -1, Text: "tab\t\u2028 日本"},
		{Hops: 1 << 40},
		{ID: "3f2a9c0d1e2b4a5c-2", Origin: "a", From: "b", Hops: 3, Text: "late", Catchup: true, Time: time.UnixMilli(1_700_000_000_123)},
	} {
		got, want := appendMessageJSON(nil, m), appendJSONLine(nil, "message", toMessageLine(m))
		if !bytes.Equal(got, want) {
			t.Errorf("message line\n%s want (encoding/json)\n%s", got, want)
		}
	}
}

// encodingJSON is v as encoding/json gives it with HTML left alone.
func encodingJSON(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// TestJSONOutput checks that every kind of line -json prints is one valid
// JSON object with the documented fields.
func TestSentLineIsEncodingJSON(t *testing.T) {
	for _, m := range []node.Sent{
		{},
		{Message: node.Message{ID: "3f2a9c0d1e2b4a5c-1", Origin: "a", Text: "hello"}, Peers: 3},
		{Message: node.Message{ID: "x\"", Origin: "<o>", Text: "tab\t\u2028 日本 \xff"}, Peers: -1},
	} {
		got, want := appendSentJSON(nil, m), appendJSONLine(nil, "sent", sentLine{ID: m.ID, Origin: m.Origin, Text: m.Text, Peers: m.Peers})
		if !bytes.Equal(got, want) {
			t.Errorf("sent line\n%s want (encoding/json)\n%s", got, want)
		}
	}
}

func TestJSONOutput(t *testing.T) {
	var out, errOut bytes.Buffer
	o := newOutput(&out, &errOut, true)
	defer o.close()
	o.name, o.nodeID = "a", "0123456789abcdef"
	p := node.Peer{ID: "fedcba9876543210", Name: "b", Addr: "127.0.0.1:2", Remote: "127.0.0.1:3"}
	o.event(node.Event{Kind: node.EventListening, Addr: "127.0.0.1:1"})
	o.event(node.Event{Kind: node.EventPeerUp, Peer: p})
	o.event(node.Event{Kind: node.EventMessage, Peer: p, Message: node.Message{ID: "x-1", Origin: "c", From: "b", Hops: 2, Text: "hi \"there\"\t\\"}})
	o.event(node.Event{Kind: node.EventError, Peer: p, Err: errTimeout})
	o.event(node.Event{Kind: node.EventPeerDown, Peer: p, Reason: "closed by peer"})
	o.sent(node.Sent{Message: node.Message{ID: "y-1", Origin: "a", Text: "x"}, Peers: 2})
	o.peers([]node.PeerInfo{{Peer: p, Since: time.Now(), Delivered: 3}, {Peer: p}})
	o.peers(nil)
	o.seen([]node.SeenEntry{{ID: "x-1", Origin: "c", FirstSeen: time.Now()}})
	o.stats(node.Stats{Peers: 1, Delivered: 7})
	o.notice("echo", "multi\nline")
	o.done("wait", waitLine{For: "peers 1"})
	o.done("quit", nil)
	o.commandError("connect", Pos{File: "f", Line: 3}, errTimeout)
	o.flush()
	if errOut.Len() != 0 {
		t.Errorf("stderr in JSON mode: %q", errOut.String())
	}
	want := []map[string]any{
		{"event": "listening", "name": "a", "id": "0123456789abcdef", "addr": "127.0.0.1:1"},
		{"event": "connected", "peer": "b", "addr": "127.0.0.1:2", "inbound": false},
		{"event": "message", "id": "x-1", "origin": "c", "from": "b", "hops": 2.0, "text": "hi \"there\"\t\\"},
		{"event": "error", "error": "timed out", "peer": "b"},
		{"event": "disconnected", "peer": "b", "reason": "closed by peer"},
		{"event": "sent", "id": "y-1", "peers": 2.0},
		{"event": "peers"},
		{"event": "peers"},
		{"event": "seen"},
		{"event": "stats", "peers": 1.0, "delivered": 7.0, "slow_peers": 0.0},
		{"event": "echo", "text": "multi\nline"},
		{"event": "wait", "for": "peers 1"},
		{"event": "quit"},
		{"event": "error", "error": "timed out", "command": "connect", "file": "f", "line": 3.0},
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i, l := range lines {
		var got map[string]any
		if err := json.Unmarshal([]byte(l), &got); err != nil {
			t.Fatalf("line %d is not JSON: %v: %s", i+1, err, l)
		}
		for k, v := range want[i] {
			if got[k] != v {
				t.Errorf("line %d: %s = %#v, want %#v: %s", i+1, k, got[k], v, l)
			}
		}
	}
	var peers struct {
		Peers []map[string]any `json:"peers"`
	}
	json.Unmarshal([]byte(lines[6]), &peers)
	if len(peers.Peers) != 2 || peers.Peers[0]["delivered"] != 3.0 {
		t.Errorf("peers: %s", lines[6])
	}
	json.Unmarshal([]byte(lines[7]), &peers)
	if peers.Peers == nil || len(peers.Peers) != 0 {
		t.Errorf("no peers should be an empty array: %s", lines[7])
	}
}

func BenchmarkMessageJSON(b *testing.B) {
	o := newOutput(io.Discard, io.Discard, true)
	defer o.close()
	m := node.Message{ID: "0123456789abcdef-12345", Origin: "alice", From: "bob", Hops: 3, Text: strings.Repeat("x", 100)}
	b.ReportAllocs()
	for b.Loop() {
		o.message(m)
	}
}

// TestQuietSent: -quiet-sent leaves out the sent line of each send, and
// only that; a send that fails still says so.
func TestQuietSent(t *testing.T) {
	for _, quiet := range []bool{false, true} {
		args := []string{"-json", "-ephemeral", "-listen", "127.0.0.1:0", "-name", "q", "-keep-going"}
		if quiet {
			args = append(args, "-quiet-sent")
		}
		var out, errOut bytes.Buffer
		Run(context.Background(), args, strings.NewReader("send one\nsend two\nsend "+strings.Repeat("x", 70000)+"\necho done\n"), &out, &errOut)
		sent, errs := strings.Count(out.String(), `"event":"sent"`), strings.Count(out.String(), `"event":"error"`)
		if want := map[bool]int{false: 2, true: 0}[quiet]; sent != want || errs != 1 || !strings.Contains(out.String(), `"event":"echo"`) {
			t.Errorf("-quiet-sent %v: %d sent lines, %d errors; want %d and 1\n%s", quiet, sent, errs, want, out.String())
		}
	}
}
