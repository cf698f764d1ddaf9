package script

import (
	"context"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/p2p-chat/p2p/node"
	"github.com/p2p-chat/p2p/node/sim"
)

// Every JSON event name and field p2p can print is in docs/commands.md.
// The fields come from the printers themselves, fed one value of each
// kind with every field set (each must be on a line of the page that shows
// its event), from the json tags of the package's line types (so the
// command results count too) and of sim.Result; the event names from the
// printers and every place that names one. A new event or field without
// docs fails here.
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

	// Every command, run by a node with -json.
	a, aOut := newTestSession(t, "a", true)
	b, _ := testSession(t, "b")
	c, _ := testSession(t, "c")
	src := filepath.Join(t.TempDir(), "s.p2p")
	if err := os.WriteFile(src, []byte("echo sourced\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, a, "connect "+b.n.Addr())
	run(t, b, "wait peers 1", "send one")
	// join after connect: a join that dials can fail while auto-join, which
	// it has just turned on, dials the same address.
	run(t, a, "wait message one", "wait messages 1", "connect "+c.n.Addr(), "wait peers 2", "send two",
		"peers", "seen", "stats", "known", "disconnect c", "join "+b.n.Addr(), "sleep 0s", "echo x", "source "+src,
		"help", "help wait")
	if _, err := a.execLine(context.Background(), Pos{}, "quit", 0); !errors.Is(err, errQuit) {
		t.Fatalf("quit: %v", err)
	}
	a.Close()
	buf.Write([]byte(aOut.String()))

	fields := map[string]bool{}      // every field printed
	byEvent := map[string][]string{} // event -> the fields of its lines
	var collect func(event string, v any)
	collect = func(event string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				fields[k] = true
				byEvent[event] = append(byEvent[event], k)
				collect(event, x)
			}
		case []any:
			for _, x := range v {
				collect(event, x)
			}
		}
	}
	events := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("not JSON: %q: %v", line, err)
		}
		event, _ := obj["event"].(string)
		events[event] = true
		collect(event, obj)
	}
	if len(fields) < 30 || len(events) < 10 {
		t.Fatalf("the printers gave only %d fields and %d events: %s", len(fields), len(events), buf.String())
	}

	// Each field printed is on a line of the page that shows its event:
	// {"event":"connected","peer",...} or an example line.
	for event, keys := range byEvent {
		var lines []string
		for _, l := range strings.Split(string(doc), "\n") {
			if strings.Contains(l, `"event":"`+event+`"`) {
				lines = append(lines, l)
			}
		}
		for _, k := range keys {
			if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, `"`+k+`"`) }) {
				t.Errorf("field %q of the %s event is not on a docs/commands.md line with \"event\":%q", k, event, event)
			}
		}
	}

	// Fields of every JSON line type in the package (the command results
	// are not printed above), and of p2p sim -json.
	for _, name := range jsonTags(t) {
		fields[name] = true
	}
	for f := range reflect.TypeFor[sim.Result]().Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "-" && name != "" {
			fields[name] = true
		}
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

// jsonTags returns the names in the json tags of the struct fields declared
// in the package's non-test files.
func jsonTags(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
	var names []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if field, ok := n.(*ast.Field); ok && field.Tag != nil {
				tag, err := strconv.Unquote(field.Tag.Value)
				if err != nil {
					t.Fatalf("%s: %v", fset.Position(field.Pos()), err)
				}
				if name, _, _ := strings.Cut(reflect.StructTag(tag).Get("json"), ","); name != "" && name != "-" {
					names = append(names, name)
				}
			}
			return true
		})
	}
	if len(names) < 40 {
		t.Fatalf("only %d json tags in the package's files: %v", len(names), names)
	}
	return names
}
