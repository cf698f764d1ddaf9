package script

import (
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
