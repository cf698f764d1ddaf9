package script

import (
	"strings"
	"testing"

	"github.com/p2p-chat/p2p/node"
)

// TestSharedOriginNamesShowTheirIDs: names are not unique. The text
// output shows a message's origin by name, and by NAME#ID when the name
// was first seen with another node id, or is this node's own name.
func TestSharedOriginNamesShowTheirIDs(t *testing.T) {
	var buf syncBuffer
	o := newOutput(&buf, &buf, false)
	o.name, o.nodeID = "me", "00000000000000ee"
	for _, m := range []node.Message{
		{ID: "00000000000000a1-1", Origin: "alice", From: "alice", Hops: 1, Text: "first alice"},
		{ID: "00000000000000a1-2", Origin: "alice", From: "alice", Hops: 1, Text: "same alice"},
		{ID: "00000000000000b2-1", Origin: "alice", From: "bob", Hops: 2, Text: "another alice"},
		{ID: "00000000000000c3-7", Origin: "me", From: "bob", Hops: 2, Text: "not me"},
	} {
		o.message(m)
	}
	o.close()
	want := "message from alice (1 hop): first alice\n" +
		"message from alice (1 hop): same alice\n" +
		"message from alice#00000000000000b2 via bob (2 hops): another alice\n" +
		"message from me#00000000000000c3 via bob (2 hops): not me\n"
	if got := buf.String(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

// TestUnsignedLinksAreMarked: a protocol 1 link says so in the connected
// line and in peers, text and JSON; a signed one does not.
func TestUnsignedLinksAreMarked(t *testing.T) {
	for _, json := range []bool{false, true} {
		var buf syncBuffer
		o := newOutput(&buf, &buf, json)
		nc := node.Peer{Name: "bob", ID: "00000000000000b0", Remote: "127.0.0.1:9", Inbound: true, Protocol: 1}
		signed := node.Peer{Name: "carol", ID: "00000000000000c0", Remote: "127.0.0.1:8", Inbound: true, Protocol: 2}
		o.event(node.Event{Kind: node.EventPeerUp, Peer: nc})
		o.event(node.Event{Kind: node.EventPeerUp, Peer: signed})
		o.peers([]node.PeerInfo{{Peer: nc}, {Peer: signed}})
		o.close()
		got := buf.String()
		want := []string{"connected to bob (inbound, unsigned)\n", "connected to carol (inbound)\n",
			"bob - inbound delivered=0 duplicates=0 sent=0 unsigned\n", "carol - inbound delivered=0 duplicates=0 sent=0\n"}
		if json {
			want = []string{`"peer":"bob","id":"00000000000000b0","addr":"","remote":"127.0.0.1:9","inbound":true,"unsigned":true}`,
				`"peer":"carol","id":"00000000000000c0","addr":"","remote":"127.0.0.1:8","inbound":true}`, `"queued":0,"unsigned":true}`}
		}
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("json=%v: output lacks %q:\n%s", json, w, got)
			}
		}
	}
}
