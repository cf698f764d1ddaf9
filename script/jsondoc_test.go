package script

import (
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/p2p-chat/p2p/node"
)

// Every JSON event name and field p2p can print is in docs/commands.md.
// The fields come from the printers themselves, fed one value of each
// kind with every field set, and the event names from every place that
// names one, so a new event or field without docs fails here.
func TestJSONOutputIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/commands.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := func(word string) bool {
		return strings.Contains(string(doc), `"`+word+`"`) || strings.Contains(string(doc), "`"+word+"`")
	}

	var buf syncBuffer
	o := newOutput(&buf, &buf, true)
	o.name, o.nodeID = "a", "00000000000000aa"
	peer := node.Peer{ID: "00000000000000bb", Name: "b", Addr: "127.0.0.1:2", Remote: "127.0.0.1:3", Inbound: true}
	now := time.Now()
	for k := node.EventKind(1); k.String() != "" && !strings.HasPrefix(k.String(), "EventKind("); k++ {
		o.event(node.Event{Kind: k, Addr: "127.0.0.1:1", Peer: peer, Reason: "r", Err: errors.New("e"),
			Message: node.Message{ID: "00000000000000bb-1", Origin: "b", From: "b", Hops: 1, Text: "t"}})
	}
	o.commandError("x", Pos{File: "f", Line: 1}, errors.New("e"))
	o.sent(node.Sent{Message: node.Message{ID: "00000000000000aa-1", Origin: "a", Text: "t"}, Peers: 1})
	o.peers([]node.PeerInfo{{Peer: peer, Since: now, FramesIn: 1, FramesOut: 1, BytesIn: 1, BytesOut: 1,
		Delivered: 1, Duplicates: 1, MsgsOut: 1, Relayed: 1, Queued: 1}})
	o.seen([]node.SeenEntry{{ID: "00000000000000bb-1", Origin: "b", FirstSeen: now, Duplicates: 1}})
	o.stats(node.Stats{})
	o.known([]node.KnownAddr{{Addr: "127.0.0.1:2", Name: "b", State: "failed", Failures: 1, LastSeen: now,
		NextTry: now, Source: "join"}})
	o.close()

	fields := map[string]bool{}
	var collect func(v any)
	collect = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				fields[k] = true
				collect(x)
			}
		case []any:
			for _, x := range v {
				collect(x)
			}
		}
	}
	events := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("not JSON: %q: %v", line, err)
		}
		events[obj["event"].(string)] = true
		collect(obj)
	}
	if len(fields) < 30 || len(events) < 10 {
		t.Fatalf("the printers gave only %d fields and %d events: %s", len(fields), len(events), buf.String())
	}

	// Event names given as literals to the printers anywhere in script.
	named := regexp.MustCompile(`(?:\.notice|\.done|\.print|\.begin)\("([a-z_]+)"`)
	files, _ := os.ReadDir(".")
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), ".go") || strings.HasSuffix(f.Name(), "_test.go") {
			continue
		}
		src, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range named.FindAllSubmatch(src, -1) {
			events[string(m[1])] = true
		}
	}

	for _, set := range []struct {
		what  string
		words map[string]bool
	}{{"event", events}, {"field", fields}} {
		var missing []string
		for w := range set.words {
			if !documented(w) {
				missing = append(missing, w)
			}
		}
		slices.Sort(missing)
		if len(missing) > 0 {
			t.Errorf("JSON %ss not in docs/commands.md (as \"%s\" or `%s`): %v", set.what, missing[0], missing[0], missing)
		}
	}
}
